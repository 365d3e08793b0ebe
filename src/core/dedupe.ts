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
 * Records sit in a FIFO of parallel arrays (first part, second part, time),
 * in insertion order, and a Map finds a record by its second part alone (the
 * msg_id or event_id): the message's own string, whose hash is computed once,
 * where a joined key would be a new string to build and hash per message
 * (in a large run that cost more than the lookup itself). The record's first
 * part is then compared. Two senders using one msg_id inside a window is
 * rare but allowed: the second's records go to a Map keyed by the joined
 * key, which is empty, and costs nothing, the rest of the time.
 *
 * Pruning pops the FIFO's front, so it costs nothing while the oldest key is
 * young: iterating a Map from its head instead walks over every deleted
 * slot, which made each call slower the longer a node ran. A key seen again
 * after its window moves to the back; its old FIFO record no longer has the
 * number its Map holds and is skipped when it comes up.
 */
export function createDedupe(max: number, windowMs: number): Dedupe {
  // Record numbers count every add; record r sits at index r - base.
  const bySecond = new Map<SecondKey, number>();
  const byKey = new Map<string, number>();
  let firsts: string[] = [];
  let seconds: SecondKey[] = [];
  let times: number[] = [];
  let base = 0;
  let head = 0;
  let size = 0;
  // What bySecond held for the last second part asked, until bySecond changes: a message is asked about,
  // handled, then added, and the add would look the same entry up again in a Map too large to stay in cache.
  let askedB: string | null = null;
  let askedK: SecondKey = "";
  let askedR: number | undefined;
  const setSecond = (k: SecondKey, r: number) => {
    bySecond.set(k, r);
    askedB = null;
  };
  const keyOf = (b: string): SecondKey => (b === askedB ? askedK : secondKey(b));
  const secondOf = (k: SecondKey) => (askedB !== null && k === askedK ? askedR : bySecond.get(k));
  /** Where (a, k) is, or undefined; `byKey` is only read while it holds something. */
  const recordOf = (a: string, k: SecondKey): number | undefined => {
    const r = secondOf(k);
    if (r !== undefined && firsts[r - base] === a) return r;
    return byKey.size === 0 ? undefined : byKey.get(joinKey(a, k));
  };
  const forget = (a: string, k: SecondKey, r: number): boolean => {
    if (secondOf(k) === r) {
      bySecond.delete(k);
      askedB = null;
    } else if (byKey.size === 0 || !byKey.delete(joinKey(a, k))) return false;
    size--;
    return true;
  };
  const prune = (nowMs: number) => {
    while (head < seconds.length) {
      // Records are in time order: a young front means nothing is due, whether or not the front is still current
      // (asking costs a lookup in a cold Map on every call).
      if (size <= max && times[head]! > nowMs - windowMs) break;
      const a = firsts[head]!;
      const k = seconds[head]!;
      if (recordOf(a, k) === base + head) forget(a, k, base + head);
      head++;
    }
    // Drop the popped front once it is most of the arrays.
    if (head > 1024 && head * 2 > seconds.length) {
      firsts = firsts.slice(head);
      seconds = seconds.slice(head);
      times = times.slice(head);
      base += head;
      head = 0;
    }
  };
  const hasPair = (a: string, b: string, nowMs: number) => {
    prune(nowMs);
    const k = secondKey(b);
    askedR = bySecond.get(k);
    askedK = k;
    askedB = b;
    const r = recordOf(a, k);
    return r !== undefined && times[r - base]! > nowMs - windowMs;
  };
  const addPair = (a: string, b: string, atMs: number) => {
    const r = base + seconds.length;
    const k = keyOf(b);
    const held = secondOf(k);
    if (held === undefined) {
      // Not under its second part: it may still sit in byKey, from when another first part held this one.
      if (byKey.size > 0 && byKey.delete(joinKey(a, k))) size--;
      setSecond(k, r);
      size++;
    } else if (firsts[held - base] === a) {
      setSecond(k, r);
    } else {
      const key = joinKey(a, k);
      if (!byKey.has(key)) size++;
      byKey.set(key, r);
    }
    firsts.push(a);
    seconds.push(k);
    times.push(atMs);
    if (size > max) prune(atMs);
  };
  const deletePair = (a: string, b: string) => {
    // Its FIFO record no longer has a number a Map holds and is skipped when it comes up.
    const k = secondKey(b);
    const r = recordOf(a, k);
    if (r !== undefined) forget(a, k, r);
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

/**
 * A second part as the dedupe keeps it: the notebook's msg_id (8 lowercase
 * hex digits) as its number, so that ten minutes of messages are held
 * without their strings (millions in a large run, each an object to keep
 * and to mark); anything else as the string itself.
 */
type SecondKey = string | number;

function secondKey(b: string): SecondKey {
  if (b.length !== 8) return b;
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = b.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return b;
    v = v * 16 + d;
  }
  return v;
}

/** (first part, second key) as one string, for the rare records that share a second part; the tag keeps "12" apart from 12. */
function joinKey(a: string, k: SecondKey): string {
  return typeof k === "number" ? `${a}\u0000n${k}` : `${a}\u0000s${k}`;
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
