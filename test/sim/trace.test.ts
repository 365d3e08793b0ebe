import { createHash } from "node:crypto";
import { describe, expect, test } from "bun:test";
import { Trace } from "../../src/sim/trace.ts";

function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The digest of one record as the trace defines it: six little-endian 32-bit words. */
function digestOf(atMs: number, a: number, b: number, c: number, textWord: number): string {
  const w = new Uint32Array([atMs % 2 ** 32, Math.floor(atMs / 2 ** 32), a, b, c, textWord]);
  return createHash("sha256").update(new Uint8Array(w.buffer)).digest("hex");
}

describe("a trace record's text field", () => {
  // [text, the 32-bit word it must become]
  test.each([
    ["00000000", 0],
    ["ffffffff", 0xffffffff],
    ["deadbeef", 0xdeadbeef],
    ["0a1b2c3d", 0x0a1b2c3d],
    ["DEADBEEF", fnv32("DEADBEEF")],
    ["deadbeeg", fnv32("deadbeeg")],
    ["dead-eef", fnv32("dead-eef")],
    ["1234567", fnv32("1234567")],
    ["123456789", fnv32("123456789")],
    ["", fnv32("")],
  ])("%p is hashed as %p", (text, word) => {
    const t = new Trace();
    t.add(5_000_000_000, 1, 2, 3, text);
    expect(t.digest()).toBe(digestOf(5_000_000_000, 1, 2, 3, word));
  });
});
