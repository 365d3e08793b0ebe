/**
 * PROTOCOL.md §1: SQS delivers at least once, so a message seen twice is
 * handled once. Remembered keys are bounded by count and by age.
 */
export interface Dedupe {
  /** True the first time a key is seen inside the window; false for a repeat. */
  firstSeen(key: string, nowMs: number): boolean;
  /** Whether `key` was remembered inside the window (it is not remembered by asking). */
  has(key: string, nowMs: number): boolean;
  /** Remembers `key` as seen at `atMs` (keys come in time order, as firstSeen would see them). */
  add(key: string, atMs: number): void;
  /** Forgets `key`. */
  delete(key: string): void;
  readonly size: number;
}

interface Seen {
  key: string;
  atMs: number;
}

/**
 * Keys sit in a Map (key -> record) and, in insertion order, in a FIFO of
 * the same records. Pruning pops the FIFO's front, so it costs nothing
 * while the oldest key is young: iterating the Map from its head instead
 * walks over every deleted slot, which made each call slower the longer a
 * node ran. A key seen again after its window moves to the back; its old
 * FIFO record is no longer the Map's and is skipped when it comes up.
 */
export function createDedupe(max: number, windowMs: number): Dedupe {
  const seenAt = new Map<string, Seen>();
  let fifo: Seen[] = [];
  let head = 0;
  const prune = (nowMs: number) => {
    while (head < fifo.length) {
      const e = fifo[head]!;
      if (seenAt.get(e.key) === e) {
        if (seenAt.size <= max && e.atMs > nowMs - windowMs) break;
        seenAt.delete(e.key);
      }
      head++;
    }
    // Drop the popped front once it is most of the array.
    if (head > 1024 && head * 2 > fifo.length) {
      fifo = fifo.slice(head);
      head = 0;
    }
  };
  const has = (key: string, nowMs: number) => {
    prune(nowMs);
    const seen = seenAt.get(key);
    return seen !== undefined && seen.atMs > nowMs - windowMs;
  };
  const add = (key: string, atMs: number) => {
    const record: Seen = { key, atMs };
    seenAt.delete(key);
    seenAt.set(key, record);
    fifo.push(record);
    if (seenAt.size > max) prune(atMs);
  };
  return {
    firstSeen(key, nowMs) {
      if (has(key, nowMs)) return false;
      add(key, nowMs);
      return true;
    },
    has,
    add,
    delete(key) {
      // Its FIFO record is no longer the Map's and is skipped when it comes up.
      seenAt.delete(key);
    },
    get size() {
      return seenAt.size;
    },
  };
}

/** One key from several parts; NUL cannot occur in a validated id or label. */
export function dedupeKey(...parts: string[]): string {
  return parts.length === 2 ? parts[0] + "\u0000" + parts[1] : parts.join("\u0000");
}
