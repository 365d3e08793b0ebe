/**
 * The corpus of bad bodies (docs/protocol.md §2, WIRE-6) says what the
 * protocol makes of each body: the fleet's own nodes and `fleet check` both
 * send it, so every claim of it is checked here against `parse`.
 */
import { describe, expect, test } from "bun:test";
import { BAD_BODIES, BAD_BODY_KINDS, badBodiesOf } from "../../src/protocol/bad-bodies.ts";
import { parse } from "../../src/protocol/index.ts";
import { NET } from "../support/network.ts";

const ctx = { sender: "prober", target: "bot-bravo", now: new Date().toISOString(), net: NET };

describe("the bad-body corpus", () => {
  test.each(BAD_BODIES.map((b) => [b.name, b] as const))("%s: parse says what the corpus says", (_, b) => {
    const r = parse(b.body(ctx));
    if ("rejected" in b.effect) expect(r.ok ? "accepted" : r.reason).toBe(b.effect.rejected);
    else expect(r.ok ? "accepted" : `${r.reason}: ${r.detail}`).toBe("accepted");
  });

  test("every kind the check has a case for holds bodies, and every rejected body is in one", () => {
    expect(BAD_BODY_KINDS.map((k) => [k.id, badBodiesOf(k.id).length > 0])).toEqual(BAD_BODY_KINDS.map((k) => [k.id, true]));
    expect(BAD_BODIES.filter((b) => "rejected" in b.effect && b.kind === null).map((b) => b.name)).toEqual([]);
  });

  test("names are distinct, and each call makes a fresh body of the time given", () => {
    expect(new Set(BAD_BODIES.map((b) => b.name)).size).toBe(BAD_BODIES.length);
    const later = { ...ctx, now: "2027-01-01T00:00:00.000Z" };
    expect(badBodiesOf("type").map((b) => b.body(later)).every((s) => s.includes(later.now))).toBe(true);
  });
});
