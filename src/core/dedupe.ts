/**
 * docs/protocol.md §2 (WIRE-4): SQS delivers at least once, so a message seen twice is
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

/**
 * Keys sit in a Map (key -> the number of its record) and, in insertion
 * order, in a FIFO of records held as two parallel arrays (key, time): no
 * object per remembered message (a 1,000-node simulation remembers over a
 * million after one virtual minute, up to 20 million in all). Pruning pops the FIFO's front, so it costs
 * nothing while the oldest key is young: iterating the Map from its head
 * instead walks over every deleted slot, which made each call slower the
 * longer a node ran. A key seen again after its window moves to the back;
 * its old FIFO record no longer has the number the Map holds and is skipped
 * when it comes up.
 */
export function createDedupe(max: number, windowMs: number): Dedupe {
  // Record numbers count every add; record r sits at index r - base.
  const seenAt = new Map<string, number>();
  let keys: string[] = [];
  let times: number[] = [];
  let base = 0;
  let head = 0;
  const prune = (nowMs: number) => {
    while (head < keys.length) {
      const key = keys[head]!;
      if (seenAt.get(key) === base + head) {
        if (seenAt.size <= max && times[head]! > nowMs - windowMs) break;
        seenAt.delete(key);
      }
      head++;
    }
    // Drop the popped front once it is most of the arrays.
    if (head > 1024 && head * 2 > keys.length) {
      keys = keys.slice(head);
      times = times.slice(head);
      base += head;
      head = 0;
    }
  };
  const has = (key: string, nowMs: number) => {
    prune(nowMs);
    const r = seenAt.get(key);
    return r !== undefined && times[r - base]! > nowMs - windowMs;
  };
  const add = (key: string, atMs: number) => {
    seenAt.delete(key);
    seenAt.set(key, base + keys.length);
    keys.push(key);
    times.push(atMs);
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
      // Its FIFO record no longer has a number the Map holds and is skipped when it comes up.
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
