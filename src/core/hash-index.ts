/**
 * An index from 32-bit hashes to numbers (record numbers, table rows), in
 * typed arrays: open addressing with linear probing, and deletion by
 * shifting the entries after a slot back (no tombstones, so a table that
 * turns over all the time stays as fast as a fresh one).
 *
 * It holds hashes, not keys: several entries may share a hash, and the
 * caller walks them (`first`, `next`) and compares its own keys. The core's
 * busiest tables turn over all the time in a large network (the dedupe at
 * every message, the sender table at one in 5 to 7); a JavaScript Map
 * allocates on every insert and unlinks on every delete, and that churn
 * cost more than the lookups.
 */
export class HashIndex {
  private hashes: Int32Array;
  /** value + 1 per slot; 0 marks an empty slot. */
  private vals: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacity = 8) {
    let slots = 16;
    while (slots < 2 * capacity) slots *= 2;
    this.hashes = new Int32Array(slots);
    this.vals = new Float64Array(slots);
    this.mask = slots - 1;
  }

  /** The first slot holding an entry of `hash`, or -1. */
  first(hash: number): number {
    return this.scan(hash & this.mask, hash);
  }

  /** The next slot after `slot` holding an entry of `hash`, or -1. */
  next(slot: number, hash: number): number {
    return this.scan((slot + 1) & this.mask, hash);
  }

  valueAt(slot: number): number {
    return this.vals[slot]! - 1;
  }

  setValueAt(slot: number, value: number): void {
    this.vals[slot] = value + 1;
  }

  /** Adds an entry; a second one with the same hash and value is the caller's mistake. */
  insert(hash: number, value: number): void {
    if (2 * (this.size + 1) > this.vals.length) this.grow();
    this.place(hash, value);
    this.size++;
  }

  /** Removes the entry in `slot`; slots found before are stale afterwards (entries move back). */
  removeAt(slot: number): void {
    const { hashes, vals, mask } = this;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      if (vals[j] === 0) break;
      // The entry at j may fill the hole unless its home slot lies cyclically in (hole, j].
      const home = hashes[j]! & mask;
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      hashes[hole] = hashes[j]!;
      vals[hole] = vals[j]!;
      hole = j;
    }
    vals[hole] = 0;
    this.size--;
  }

  /** The slot holding (hash, value), or -1. */
  slotOf(hash: number, value: number): number {
    for (let s = this.first(hash); s >= 0; s = this.next(s, hash)) if (this.vals[s] === value + 1) return s;
    return -1;
  }

  private scan(from: number, hash: number): number {
    const { hashes, vals, mask } = this;
    for (let s = from; ; s = (s + 1) & mask) {
      if (vals[s] === 0) return -1;
      if (hashes[s] === hash) return s;
    }
  }

  private place(hash: number, value: number): void {
    const { hashes, vals, mask } = this;
    let s = hash & mask;
    while (vals[s] !== 0) s = (s + 1) & mask;
    hashes[s] = hash;
    vals[s] = value + 1;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldVals = this.vals;
    this.hashes = new Int32Array(2 * oldVals.length);
    this.vals = new Float64Array(2 * oldVals.length);
    this.mask = this.vals.length - 1;
    for (let s = 0; s < oldVals.length; s++) if (oldVals[s] !== 0) this.place(oldHashes[s]!, oldVals[s]! - 1);
  }
}

/** A string's hash for the index: FNV-1a, mixed so that its low bits (the home slot) depend on every unit. */
export function hashString(s: string): number {
  return mix(fnv1a(s));
}

/** FNV-1a (32 bits) of a string's UTF-16 units, as a signed 32-bit integer. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A 32-bit integer's hash (msg_ids read as numbers are already random; others may not be). */
export function hashInt(v: number): number {
  return mix(Math.imul(v | 0, 0x9e3779b1));
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
