import { describe, expect, test } from "bun:test";
import { FRESH_REPUTATION, nextFlagged, recordOutcome, score, type Reputation } from "../../src/core/reputation.ts";

const run = (outcomes: string): Reputation =>
  [...outcomes].reduce((r, c) => recordOutcome(r, c === "+"), { ...FRESH_REPUTATION });

describe("REP-2: beta score (docs/protocol.md §9)", () => {
  test.each([
    [0, 0, 0.5],
    [1, 0, 2 / 3],
    [0, 1, 1 / 3],
    [8, 0, 0.9],
    [3, 3, 0.5],
    [18, 0, 0.95],
  ])("agree %d disagree %d scores %d", (a, d, s) => expect(score({ agree: a, disagree: d })).toBeCloseTo(s, 10));
});

describe("REP-4: flag with hysteresis", () => {
  test.each([
    // agree, disagree, reports, was flagged -> flagged
    [1, 3, 7, false, false], // low but too few reports
    [1, 3, 8, false, true], // 0.333 < 0.7 after 8
    [4.5, 1.5, 8, false, true], // 0.6875
    [5, 1, 8, false, false], // 0.75 >= 0.7
    [4, 2, 8, false, true], // 0.625
    [5.5, 2.5, 20, true, true], // 0.65: stays flagged
    [7, 2, 20, true, true], // 0.727: between the lines, stays flagged
    [9, 1, 20, true, false], // 0.833 > 0.8: unflagged
    [7, 1, 20, true, true], // exactly 0.8: not above, stays flagged
    [6, 2, 20, false, false], // 0.7 exactly: not below
  ])("a %d d %d after %d reports, flagged before %p -> %p", (a, d, n, was, want) => {
    expect(nextFlagged({ agree: a, disagree: d, reports: n }, was)).toBe(want);
  });
});

describe("REP-3: forgetting 0.95 per audited report", () => {
  test.each([
    ["+", 1, 0],
    ["-", 0, 1],
    ["+-", 0.95, 1],
    ["-+", 1, 0.95],
    ["++", 1.95, 0],
    ["+++", 1 + 0.95 + 0.9025, 0],
    ["--+", 1, 0.95 + 0.9025],
  ])("%s gives agree %d disagree %d", (seq, a, d) => {
    const r = run(seq);
    expect(r.agree).toBeCloseTo(a, 10);
    expect(r.disagree).toBeCloseTo(d, 10);
    expect(r.reports).toBe(seq.length);
  });

  test.each([
    ["an honest peer, 8 right", "++++++++", false],
    ["an honest peer, 200 right", "+".repeat(200), false],
    ["honest with one bad vote in 20", "+".repeat(10) + "-" + "+".repeat(9), false],
    ["half right from the start", "+-".repeat(4), true],
    ["half right, 100 reports", "+-".repeat(50), true],
    ["always wrong, 7 reports", "-------", false],
    ["always wrong, 8 reports", "--------", true],
    ["a liar turned honest for long", "-".repeat(10) + "+".repeat(60), false],
    ["a liar turned honest briefly", "-".repeat(10) + "+".repeat(8), true],
  ])("%s: flagged %p", (_name, seq, flagged) => expect(run(seq as string).flagged).toBe(flagged as boolean));

  test("half right does not flap: once flagged, never unflagged over 400 alternating reports", () => {
    let r: Reputation = { ...FRESH_REPUTATION };
    let flips = 0;
    for (let i = 0; i < 400; i++) {
      const next = recordOutcome(r, i % 2 === 0);
      if (next.flagged !== r.flagged) flips++;
      r = next;
    }
    expect(flips).toBe(1);
    expect(r.flagged).toBe(true);
  });
});
