/**
 * docs/protocol.md §2 (WIRE-4): SQS delivers at least once, so a message seen twice is
 * handled once. Remembered keys are bounded by count and by age.
 *
 * A key has two parts (sender and msg_id, sender and event_id). The pair
 * methods take them apart; the string methods take `dedupeKey(a, b)`, the
 * form a node's remembered keys are kept in across restarts.
 */
import { msgIdNumber } from "../protocol/index.ts";
import { HashIndex, hashInt, hashString } from "./hash-index.ts";

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
 * Records sit in a FIFO of parallel arrays (first part, second part, its
 * hash, time), in insertion order, and a HashIndex finds a record's number
 * by the hash of its second part (the msg_id or event_id); the record's own
 * parts are then compared, so two senders that use one msg_id are two
 * entries under one hash. A JavaScript Map here allocated an entry for each
 * message and unlinked one for each that aged out, and a joined key string
 * was built and hashed per message before that: together the largest item
 * of a large run's profile.
 *
 * Pruning pops the FIFO's front, so it costs nothing while the oldest key is
 * young. A key seen again after its window moves to the back: its entry
 * takes the new record's number, and its old FIFO record, no longer in the
 * index, is skipped when it comes up.
 */
export function createDedupe(max: number, windowMs: number): Dedupe {
  // Record numbers count every add; record r sits at index r - base.
  const index = new HashIndex(64);
  let firsts: string[] = [];
  let seconds: SecondKey[] = [];
  let hashes: number[] = [];
  let times: number[] = [];
  let base = 0;
  let head = 0;
  // The slot the last ask found for its key, while the index has not changed since: a message is asked
  // about, handled, then added, and the add would walk the same probe run again.
  let changes = 0;
  let askedA: string | null = null;
  let askedB: string | null = null;
  let askedK: SecondKey = "";
  let askedH = 0;
  let askedSlot = -1;
  let askedChanges = -1;
  const slotOf = (a: string, k: SecondKey, h: number): number => {
    for (let s = index.first(h); s >= 0; s = index.next(s, h)) {
      const i = index.valueAt(s) - base;
      if (seconds[i] === k && firsts[i] === a) return s;
    }
    return -1;
  };
  const removeAt = (slot: number) => {
    index.removeAt(slot);
    changes++;
  };
  const prune = (nowMs: number) => {
    while (head < seconds.length) {
      // Records are in time order: a young front means nothing is due, whether or not the front is still current.
      if (index.size <= max && times[head]! > nowMs - windowMs) break;
      const slot = index.slotOf(hashes[head]!, base + head);
      if (slot >= 0) removeAt(slot);
      head++;
    }
    // Drop the popped front once it is most of the arrays.
    if (head > 1024 && head * 2 > seconds.length) {
      firsts = firsts.slice(head);
      seconds = seconds.slice(head);
      hashes = hashes.slice(head);
      times = times.slice(head);
      base += head;
      head = 0;
    }
  };
  const hasPair = (a: string, b: string, nowMs: number) => {
    prune(nowMs);
    const k = secondKey(b);
    const h = hashOf(k);
    const slot = slotOf(a, k, h);
    askedA = a;
    askedB = b;
    askedK = k;
    askedH = h;
    askedSlot = slot;
    askedChanges = changes;
    return slot >= 0 && times[index.valueAt(slot) - base]! > nowMs - windowMs;
  };
  const addPair = (a: string, b: string, atMs: number) => {
    const memo = askedA === a && askedB === b && askedChanges === changes;
    const k = memo ? askedK : secondKey(b);
    const h = memo ? askedH : hashOf(k);
    const slot = memo ? askedSlot : slotOf(a, k, h);
    const r = base + seconds.length;
    if (slot >= 0) index.setValueAt(slot, r);
    else {
      index.insert(h, r);
      changes++;
    }
    firsts.push(a);
    seconds.push(k);
    hashes.push(h);
    times.push(atMs);
    if (index.size > max) prune(atMs);
  };
  const deletePair = (a: string, b: string) => {
    // Its FIFO record is no longer in the index and is skipped when it comes up.
    const k = secondKey(b);
    const slot = slotOf(a, k, hashOf(k));
    if (slot >= 0) removeAt(slot);
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
      return index.size;
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

const hashOf = (k: SecondKey) => (typeof k === "number" ? hashInt(k) : hashString(k));

function secondKey(b: string): SecondKey {
  const v = msgIdNumber(b);
  return v < 0 ? b : v;
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
