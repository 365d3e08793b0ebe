import { describe, expect, test } from "bun:test";
import { HashIndex, hashInt, hashString } from "../../src/core/hash-index.ts";
import { createRng } from "../../src/core/rng.ts";

describe("HashIndex holds what a plain multimap holds", () => {
  test.each([
    ["few hashes, many values each (long probe runs)", 7, 300],
    ["distinct hashes", 1 << 30, 300],
    ["growing far past its start", 1 << 30, 5_000],
  ])("%s", (_name, hashSpace, live) => {
    const rng = createRng(`hash-index-${hashSpace}-${live}`);
    const index = new HashIndex(4);
    // The reference: every (hash, value) pair held.
    const held = new Map<number, Set<number>>();
    let nextValue = 0;
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < 40_000; i++) {
      if (pairs.length < live && rng.int(3) !== 0) {
        const h = hashInt(rng.int(hashSpace));
        const v = nextValue++;
        index.insert(h, v);
        (held.get(h) ?? held.set(h, new Set()).get(h)!).add(v);
        pairs.push([h, v]);
      } else if (pairs.length > 0) {
        const k = rng.int(pairs.length);
        const [h, v] = pairs[k]!;
        pairs[k] = pairs[pairs.length - 1]!;
        pairs.pop();
        const slot = index.slotOf(h, v);
        expect(slot).toBeGreaterThanOrEqual(0);
        if (rng.int(2) === 0) {
          index.removeAt(slot);
          held.get(h)!.delete(v);
        } else {
          // A value changed in place stays findable under its hash.
          const w = nextValue++;
          index.setValueAt(slot, w);
          held.get(h)!.delete(v);
          held.get(h)!.add(w);
          pairs.push([h, w]);
        }
      }
      if (i % 1_000 === 0) {
        for (const [h, want] of held) {
          const got = new Set<number>();
          for (let s = index.first(h); s >= 0; s = index.next(s, h)) got.add(index.valueAt(s));
          expect(got).toEqual(want);
        }
      }
    }
    expect(index.size).toBe(pairs.length);
  });

  test("hashes spread: strings that differ in one place, integers in a row", () => {
    const slots = (hashes: number[]) => new Set(hashes.map((h) => h & 1023)).size;
    expect(slots(Array.from({ length: 512 }, (_, i) => hashString(`node-${String(i).padStart(4, "0")}`)))).toBeGreaterThan(300);
    expect(slots(Array.from({ length: 512 }, (_, i) => hashInt(i)))).toBeGreaterThan(300);
  });
});
