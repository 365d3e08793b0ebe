import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { simulate } from "../../src/sim/run.ts";
import { TEST_TIMEOUT_MS } from "../support/timeouts.ts";

// Whole simulated networks: seconds of CPU each, many more on a loaded machine.
setDefaultTimeout(TEST_TIMEOUT_MS);

describe("larger fleets and named scenarios", () => {
  test("a 50-node network discovers itself", () => {
    const r = simulate({ nodes: 50, minutes: 2, liars: 5, seed: 50, wire: "object" });
    expect(r.figures.discovery.target).toBe(49);
    expect(r.figures.discovery.convergedMs).not.toBeNull();
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test.each([1, 2, 3])("a healed partition reconverges (seed %d)", (seed) => {
    const r = simulate({ nodes: 10, minutes: 8, liars: 1, seed, partition: true, wire: "object" });
    expect(r.network.dropped.partition).toBeGreaterThan(0);
    expect(r.figures.reconverge.faultsEndMs).toBe(r.faults.partition!.toMs);
    expect(r.figures.reconverge.reconvergedMs).not.toBeNull();
    expect(r.figures.reconverge.convergedAtEnd).toBe(true);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test.each([11, 12, 13, 14, 15])("duplicates and reordering change no audit outcome (seed %d)", (seed) => {
    const base = { nodes: 7, minutes: 6, liars: 2, seed, keepAudits: true, wire: "object" as const };
    const calm = simulate({ ...base, dup: 0, reorder: 0 });
    const rough = simulate({ ...base, dup: 0.3, reorder: 0.3 });
    expect(rough.network.delayed.duplicate).toBeGreaterThan(0);
    expect(rough.network.delayed.reorder_hold).toBeGreaterThan(0);
    const a = calm.audits!;
    const b = rough.audits!;
    const both = Object.keys(a).filter((k) => k in b);
    expect(both.length).toBeGreaterThan(50);
    const differ = both.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} vs ${b[k]}`);
    expect(differ).toEqual([]);
  });

  test("the same seed gives the same trace; another seed another", () => {
    const opts = { nodes: 6, minutes: 3, liars: 1, crash: 1, partition: true, wire: "object" as const };
    const a = simulate({ ...opts, seed: 7 });
    const b = simulate({ ...opts, seed: 7 });
    const c = simulate({ ...opts, seed: 8 });
    expect(a.traceRecords).toBeGreaterThan(1_000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.figures).toEqual(a.figures);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  test("the JSON wire and the object hand-over give the same trace", () => {
    const opts = { nodes: 5, minutes: 2, liars: 1, seed: 9 };
    expect(simulate({ ...opts, wire: "json" }).traceHash).toBe(simulate({ ...opts, wire: "object" }).traceHash);
  });

  test("a crashed node is seen suspect, then dead, by every live node, and comes back", () => {
    const r = simulate({ nodes: 8, minutes: 10, liars: 1, seed: 21, crash: 2, wire: "object" });
    expect(r.figures.failureDetection.outages).toHaveLength(2);
    for (const o of r.figures.failureDetection.outages) {
      expect(o.observers).toBeGreaterThan(0);
      expect(o.suspectAllMs).not.toBeNull();
      expect(o.deadAllMs).not.toBeNull();
      // 3 and 6 silent heartbeats, plus the heartbeat phase and delivery delays.
      expect(o.suspectAllMs!).toBeGreaterThanOrEqual(20_000);
      expect(o.suspectAllMs!).toBeLessThanOrEqual(50_000);
      expect(o.deadAllMs!).toBeGreaterThan(o.suspectAllMs!);
      expect(o.deadAllMs!).toBeLessThanOrEqual(80_000);
    }
    expect(r.network.delayed.target_down).toBeGreaterThan(0);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test("nodes find the network when a late bootstrap comes up", () => {
    const r = simulate({ nodes: 8, minutes: 9, liars: 1, seed: 31, bootstrapLateMs: 120_000, wire: "object" });
    expect(r.figures.discovery.convergedMs!).toBeGreaterThanOrEqual(120_000);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });
});
