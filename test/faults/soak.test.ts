/**
 * The soak (`bun run soak`, 2 minutes) in short: eight nodes at ten times
 * the default rates for 20 s on the embedded SQS, with its ledger.
 */
import { describe, expect, test } from "bun:test";
import { runSoak, soakPassed } from "../../src/bench/soak.ts";

/** Far above what a queue holds when its node keeps up (tens), far below what piles up when it does not. */
const DEPTH_MAX = 500;
/** The whole process (SQS, eight workers, the test runner): a leak at these rates would pass it within the run. */
const RSS_MB_MAX = 1_500;
/** 20 s of load, up to the soak's 30 s bound to settle, and the fleet's start and stop: only a run that would never end hits it. */
const SOAK_TEST_TIMEOUT_MS = 120_000;

describe("soak, short", () => {
  test("8 nodes at 10x for 20 s: every message accounted for, queues bounded", async () => {
    const r = await runSoak({ seconds: 20, nodes: 8, speed: 10, sampleEveryMs: 2_000 });
    expect(r.ledger.lost).toBe(0);
    expect(r.ledger.sent).toBeGreaterThan(1_000);
    expect(r.driver.pingsSent).toBeGreaterThan(100);
    // Settled on the proof, not on a clock: every PING answered before the fleet stopped.
    expect(r.settle.by).toBe("answered");
    expect(r.driver.pingsUnanswered).toBe(0);
    expect(r.exactly).toMatchObject({ pingsLost: 0, pongsLost: 0, pingsHandledTwice: 0, messagesHandledTwice: 0, votesCountedTwice: 0 });
    expect(r.driver.pongsDuplicated).toBe(0);
    expect(soakPassed(r)).toBe(true);
    expect(r.maxDepth).toBeLessThan(DEPTH_MAX);
    expect(r.rssMb.max).toBeLessThan(RSS_MB_MAX);
    expect(r.rejected).toBe(0);
    expect(r.sendsDropped).toBe(0);
    expect(r.finalStates.every((s) => s.endsWith(":stopped"))).toBe(true);
  }, SOAK_TEST_TIMEOUT_MS);
});

describe("soak with chaos, short", () => {
  test("workers killed every ~6 s and the SQS stopped twice: every driver PING handled and answered exactly once or still queued, nothing handled twice", async () => {
    const r = await runSoak({
      seconds: 30,
      nodes: 6,
      speed: 10,
      sampleEveryMs: 3_000,
      visibilityTimeoutSeconds: 3,
      chaos: { killEveryMs: 6_000, outages: 2, outageMs: 2_000 },
    });
    expect(r.chaos!.kills.filter((k) => k.killed).length).toBeGreaterThanOrEqual(3);
    expect(r.chaos!.outages).toHaveLength(2);
    expect(r.exactly).toMatchObject({ pingsLost: 0, pongsLost: 0, pingsHandledTwice: 0, messagesHandledTwice: 0, votesCountedTwice: 0 });
    expect(r.exactly.pingsHandledOnce).toBeGreaterThan(200);
    expect(r.driver.pongsDuplicated).toBe(0);
    expect(r.driver.pingsUnanswered).toBe(r.exactly.pingsStillQueued);
    expect(soakPassed(r)).toBe(true);
    expect(r.finalStates.every((s) => s.endsWith(":stopped"))).toBe(true);
  }, 120_000);
});
