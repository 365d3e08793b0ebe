import { describe, expect, test } from "bun:test";
import { simulate } from "../../src/sim/run.ts";

/**
 * Behaviour of the node core that the simulator found wrong, each named
 * after the scenario and seed that found it. Each replays with
 * `bun src/sim/main.ts` and the same options.
 */
describe("found by the simulator", () => {
  test("long-partition seed 1: a partition longer than the forget threshold still heals", () => {
    // 8 minutes apart: each side forgets the other (dead for 30 heartbeats), bootstrap included.
    const r = simulate({ nodes: 8, minutes: 20, liars: 1, seed: 1, partition: true, partitionForMs: 8 * 60_000, wire: "object" });
    expect(r.figures.reconverge.reconvergedMs).not.toBeNull();
    expect(r.figures.reconverge.convergedAtEnd).toBe(true);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test("partition-choke seed 7: a CHOKE lost while the peer was unreachable is told again when it returns", () => {
    const r = simulate({ nodes: 8, minutes: 10, liars: 2, seed: 7, partition: true, wire: "object" });
    expect(r.figures.chokeDisagreeExamples).toEqual([]);
    expect(r.figures.chokeViewsDisagreeing).toBe(0);
  });
});
