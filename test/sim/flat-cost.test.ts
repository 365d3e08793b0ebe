import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { MESSAGE_TYPES, type MessageType } from "../../src/protocol/index.ts";
import { simulate } from "../../src/sim/run.ts";
import { LIMITS } from "../../src/core/config.ts";
import { DEFAULT_CONTENT, DEFAULT_SCALE_BOUNDS, DEFAULT_TIMING_MS } from "../../src/core/settings.ts";
import { TEST_TIMEOUT_MS } from "../support/timeouts.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const MINUTES = 4;
/** The steady state: after every node's first minutes of offers (SCALE-14) and the one-time discovery. */
const STEADY_FROM_MS = 150_000;

/** Messages sent per node per minute of the steady state, by type, and the run's verdicts. */
function steadyCost(nodes: number, liars: number): { byType: Record<MessageType, number>; total: number; failed: string[] } {
  const counts = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])) as Record<MessageType, number>;
  let startMs: number | null = null;
  const r = simulate(
    { nodes, liars, minutes: MINUTES, seed: "flat", wire: "object" },
    {
      send(_from, _to, m, tMs) {
        startMs ??= tMs;
        if (tMs - startMs >= STEADY_FROM_MS) counts[m.type]++;
      },
    },
  );
  const perNodeMinute = (c: number) => c / nodes / ((MINUTES * 60_000 - STEADY_FROM_MS) / 60_000);
  const byType = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, perNodeMinute(counts[t])])) as Record<MessageType, number>;
  const total = MESSAGE_TYPES.reduce((sum, t) => sum + byType[t], 0);
  return { byType, total, failed: r.verdicts.filter((v) => !v.ok).map((v) => `${v.name}: ${v.detail}`) };
}

describe("docs/protocol.md SCALE-13: what a node sends per minute does not grow with the network", () => {
  // The same share of liars at both sizes: honest nodes serve no flagged partner, so that share sets the views sent.
  const small = steadyCost(40, 1);
  const large = steadyCost(120, 3);

  test("both runs hold every property", () => {
    expect(small.failed).toEqual([]);
    expect(large.failed).toEqual([]);
  });

  test.each(["PING", "PONG", "VIEW_EVENT", "AUDIT_RESULT"] as const)("%s per node per minute: 120 nodes within 10 % of 40", (type) => {
    expect(small.byType[type]).toBeGreaterThan(0);
    expect(large.byType[type] / small.byType[type]).toBeGreaterThan(0.9);
    expect(large.byType[type] / small.byType[type]).toBeLessThan(1.1);
  });

  test("all messages per node per minute: 120 nodes within 10 % of 40, and the views bounded by the partner places", () => {
    expect(large.total / small.total).toBeGreaterThan(0.9);
    expect(large.total / small.total).toBeLessThan(1.1);
    // 3 items reported every 10 s to at most 12 partners.
    for (const run of [small, large]) expect(run.byType.VIEW_EVENT).toBeLessThanOrEqual(6 * 3 * 12);
  });

  test("no HELLO once discovery is over, and no size above SCALE-13's ceiling", () => {
    const perMinute = (periodMs: number) => 60_000 / periodMs;
    const t = DEFAULT_TIMING_MS;
    const b = DEFAULT_SCALE_BOUNDS;
    const items = DEFAULT_CONTENT.length;
    const ceiling = {
      PING: perMinute(t.heartbeatMs) * b.probes_per_beat,
      PONG: perMinute(t.heartbeatMs) * b.probes_per_beat,
      VIEW_EVENT: perMinute(t.viewsMs) * items * b.partners,
      AUDIT_RESULT: perMinute(t.auditMs) * items * b.partners,
      PEER_LIST: perMinute(t.gossipMs) * LIMITS.gossipFanout,
    };
    for (const run of [small, large]) {
      expect(run.byType.HELLO).toBe(0);
      for (const [type, max] of Object.entries(ceiling)) expect({ type, sent: run.byType[type as MessageType] <= max + 0.01 }).toEqual({ type, sent: true });
    }
  });
});
