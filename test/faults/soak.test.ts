/**
 * The soak (`bun run soak`, 2 minutes) in short: eight nodes at ten times
 * the default rates for 20 s on the embedded SQS, with its ledger. The
 * same under faults: test/bench/soak-chaos.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { runSoak, soakVerdict } from "../../src/bench/soak.ts";

/** Far above what a queue holds when its node keeps up (tens), far below what piles up when it does not. */
const DEPTH_MAX = 500;
/** The whole process (SQS, eight workers, the test runner): a leak at these rates would pass it within the run. */
const RSS_MB_MAX = 1_500;
/** 20 s of load, up to the soak's 30 s bound to settle, and the fleet's start and stop: only a run that would never end hits it. */
const SOAK_TEST_TIMEOUT_MS = 120_000;

describe("soak, short", () => {
  test("8 nodes at 10x for 20 s: every message SQS accepted handled once or still queued, queues bounded", async () => {
    const r = await runSoak({ seconds: 20, nodes: 8, speed: 10, sampleEveryMs: 2_000 });
    expect(r.ledger.complete).toBe(true);
    expect(r.ledger.total.accepted).toBeGreaterThan(1_000);
    expect(r.ledger.total).toMatchObject({ lost: 0, handledTwice: 0 });
    expect(r.ledger.total.handledOnce + r.ledger.total.stillQueued).toBe(r.ledger.total.accepted);
    expect(r.ledger.answers.PING).toMatchObject({ unanswered: 0, answeredTwice: 0 });
    expect(r.ledger.answers.HELLO).toMatchObject({ unanswered: 0, answeredTwice: 0 });
    expect(r.ledger.votesCountedTwice).toBe(0);
    expect(r.driver.pingsSent).toBeGreaterThan(100);
    // Settled on the proof, not on a clock: every PING answered before the fleet stopped.
    expect(r.settle.by).toBe("answered");
    expect(r.driver.pingsUnanswered).toBe(0);
    expect(r.driver.pongsDuplicated).toBe(0);
    expect(soakVerdict(r)).toBe("pass");
    expect(r.maxDepth).toBeLessThan(DEPTH_MAX);
    expect(r.rssMb.max).toBeLessThan(RSS_MB_MAX);
    expect(r.rejected).toBe(0);
    expect(r.sendsDropped).toBe(0);
    expect(r.finalStates.every((s) => s.endsWith(":stopped"))).toBe(true);
  }, SOAK_TEST_TIMEOUT_MS);
});
