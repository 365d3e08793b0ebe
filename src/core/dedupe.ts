/**
 * docs/protocol.md §2 (WIRE-4): SQS delivers at least once, so a message seen twice is
 * handled once. Remembered keys are bounded by count and by age.
 *
 * A key has two parts (sender and msg_id, sender and event_id). The pair
 * methods take them apart; the string methods take `dedupeKey(a, b)`, the
 * form a node's remembered keys are kept in across restarts.
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
  /** `has(dedupeKey(a, b), nowMs)`, without building the key. */
  hasPair(a: string, b: string, nowMs: number): boolean;
  /** `add(dedupeKey(a, b), atMs)`, without building the key. */
  addPair(a: string, b: string, atMs: number): void;
  readonly size: number;
}

/**
 * Keys sit in a Map per first part (b -> the number of its record) and, in
 * insertion order, in a FIFO of records held as parallel arrays (first part, its
 * Map, second part, time): no object per remembered message (a 1,000-node
 * simulation remembers over a million after one virtual minute, up to 20
 * million in all), and no joined key string to build and hash per message,
 * which in a large run cost more than the lookup itself. The parts are the
 * message's own strings, whose hashes are computed once.
 *
 * Pruning pops the FIFO's front, so it costs nothing while the oldest key is
 * young: iterating a Map from its head instead walks over every deleted
 * slot, which made each call slower the longer a node ran. A key seen again
 * after its window moves to the back; its old FIFO record no longer has the
 * number its Map holds and is skipped when it comes up. A first part's Map
 * is dropped once empty; records still pointing at it find nothing there and
 * are skipped the same way.
 */
export function createDedupe(max: number, windowMs: number): Dedupe {
  // Record numbers count every add; record r sits at index r - base.
  const byFirst = new Map<string, Map<string, number>>();
  let size = 0;
  let maps: Array<Map<string, number>> = [];
  let firsts: string[] = [];
  let seconds: string[] = [];
  let times: number[] = [];
  let base = 0;
  let head = 0;
  const prune = (nowMs: number) => {
    while (head < seconds.length) {
      const m = maps[head]!;
      const b = seconds[head]!;
      if (m.get(b) === base + head) {
        if (size <= max && times[head]! > nowMs - windowMs) break;
        m.delete(b);
        size--;
        // Only a Map still in the table can be emptied here: a dropped one no longer holds this record's number.
        if (m.size === 0) byFirst.delete(firsts[head]!);
      }
      head++;
    }
    // Drop the popped front once it is most of the arrays.
    if (head > 1024 && head * 2 > seconds.length) {
      maps = maps.slice(head);
      firsts = firsts.slice(head);
      seconds = seconds.slice(head);
      times = times.slice(head);
      base += head;
      head = 0;
    }
  };
  const hasPair = (a: string, b: string, nowMs: number) => {
    prune(nowMs);
    const r = byFirst.get(a)?.get(b);
    return r !== undefined && times[r - base]! > nowMs - windowMs;
  };
  const addPair = (a: string, b: string, atMs: number) => {
    let m = byFirst.get(a);
    if (m === undefined) {
      m = new Map();
      byFirst.set(a, m);
    }
    if (!m.has(b)) size++;
    m.set(b, base + seconds.length);
    maps.push(m);
    firsts.push(a);
    seconds.push(b);
    times.push(atMs);
    if (size > max) prune(atMs);
  };
  const deletePair = (a: string, b: string) => {
    const m = byFirst.get(a);
    // Its FIFO record no longer has a number the Map holds and is skipped when it comes up.
    if (m === undefined || !m.delete(b)) return;
    size--;
    if (m.size === 0) byFirst.delete(a);
  };
  return {
    firstSeen(key, nowMs) {
      const [a, b] = splitKey(key);
      if (hasPair(a, b, nowMs)) return false;
      addPair(a, b, nowMs);
      return true;
    },
    has: (key, nowMs) => hasPair(...splitKey(key), nowMs),
    add: (key, atMs) => addPair(...splitKey(key), atMs),
    delete: (key) => deletePair(...splitKey(key)),
    hasPair,
    addPair,
    get size() {
      return size;
    },
  };
}

/** One key from several parts; NUL cannot occur in a validated id or label. */
export function dedupeKey(...parts: string[]): string {
  return parts.length === 2 ? parts[0] + "\u0000" + parts[1] : parts.join("\u0000");
}

/** A key's two parts: before its first NUL and after (a key without one is all first part). */
function splitKey(key: string): [string, string] {
  const i = key.indexOf("\u0000");
  return i < 0 ? [key, ""] : [key.slice(0, i), key.slice(i + 1)];
}
