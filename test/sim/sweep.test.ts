import { describe, expect, test } from "bun:test";
import type { SimOptionsInput } from "../../src/sim/options.ts";
import { fuzzOptions } from "../../src/sim/fuzz.ts";
import { sweep } from "../../src/sim/sweep.ts";

const seeds = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/**
 * 240 seeds: 200 over five fault mixes, 40 with options drawn from the
 * seed. Each run is judged by every property (no honest node flagged, every
 * liar flagged by every honest node within 5 virtual minutes, discovery,
 * failure detection, audits, reconvergence); a failure names the seed that
 * replays it.
 */
const MIXES: Array<[string, SimOptionsInput, number[]]> = [
  ["6 nodes, 1 liar, duplicates and reordering", { nodes: 6, minutes: 6, liars: 1, dup: 0.1, reorder: 0.2, wire: "object" }, seeds(1, 80)],
  ["8 nodes, 2 liars, a crash and a silence", { nodes: 8, minutes: 10, liars: 2, crash: 1, silence: 1, wire: "object" }, seeds(1001, 40)],
  ["8 nodes, 2 liars, a healed partition", { nodes: 8, minutes: 10, liars: 2, partition: true, wire: "object" }, seeds(2001, 40)],
  [
    "8 nodes, 2 bootstraps, persisted restarts, heavy duplication, 5 s skew",
    { nodes: 8, minutes: 10, liars: 2, bootstraps: 2, crash: 2, restart: "persisted", dup: 0.4, reorder: 0.4, skewMaxMs: 5_000, wire: "object" },
    seeds(3001, 20),
  ],
  ["6 nodes over the JSON wire", { nodes: 6, minutes: 6, liars: 1, wire: "json" }, seeds(4001, 20)],
];

describe("seed sweep", () => {
  test.each(MIXES)(
    "%s",
    (_name, options, seedList) => {
    const result = sweep(options, seedList);
    expect(result.runs).toBe(seedList.length);
    expect(result.failures).toEqual([]);
    // The runs did exercise the properties: liars were flagged, and no honest node ever was.
    expect(result.worst.liarFlaggedAllMs.value).not.toBeNull();
    // A partition (2 min from a quarter of the run) pushes the deadline to 5 min after the heal and one dead-peer ping round.
    const deadlineMs = options.partition ? (options.minutes! * 60_000) / 4 + 120_000 + 60_000 + 5 * 60_000 : 5 * 60_000;
    expect(result.worst.liarFlaggedAllMs.value!).toBeLessThanOrEqual(deadlineMs);
    expect(result.worst.honestFlagged.value).toBe(0);
    },
    60_000,
  );
});

test(
  "40 seeds of fuzzed options (fleet, faults, skew, restarts drawn from the seed)",
  () => {
    const result = sweep((seed) => fuzzOptions(seed), seeds(5001, 40));
    expect(result.failures).toEqual([]);
    expect(result.worst.honestFlagged.value).toBe(0);
    expect(result.worst.falseSuspicions.value).toBe(0);
  },
  60_000,
);
