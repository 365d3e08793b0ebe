/**
 * `bun run soak --chaos` in short: workers killed and the embedded SQS
 * stopped while six nodes run at ten times the default rates, and the
 * ledger (src/bench/ledger.ts) must still close for every message SQS
 * accepted, whatever its type: nothing lost, nothing handled twice, every
 * PING and HELLO answered exactly once.
 */
import { describe, expect, test } from "bun:test";
import { formatSoak, runSoak, soakVerdict } from "../../src/bench/soak.ts";

/** 25 s of load, a settle bounded by the 3 s visibility timeout, the fleet's start and stop: only a run that would never end hits it. */
const CHAOS_TEST_TIMEOUT_MS = 120_000;

describe("soak with chaos, short", () => {
  test("kills every ~6 s and two SQS outages: every message of every type handled once or still queued, every PING and HELLO answered once", async () => {
    const r = await runSoak({
      seconds: 25,
      nodes: 6,
      speed: 10,
      sampleEveryMs: 3_000,
      visibilityTimeoutSeconds: 3,
      chaos: { killEveryMs: 6_000, outages: 2, outageMs: 2_000 },
    });
    const report = formatSoak(r);
    // The faults happened: a ledger that survived none proves nothing.
    expect(r.chaos!.kills.filter((k) => k.killed).length, report).toBeGreaterThanOrEqual(2);
    expect(r.chaos!.outages, report).toHaveLength(2);
    const l = r.ledger;
    expect(l.complete, report).toBe(true);
    expect(l.total, report).toMatchObject({ lost: 0, handledTwice: 0 });
    expect(l.total.handledOnce + l.total.stillQueued).toBe(l.total.accepted);
    // Node-to-node traffic, not only the driver's PINGs: each of these types took part.
    for (const type of ["HELLO", "PEER_LIST", "PING", "PONG", "VIEW_EVENT"]) expect(l.byType[type]?.handledOnce ?? 0, `${type}\n${report}`).toBeGreaterThan(0);
    expect(l.answers.PING.handled, report).toBeGreaterThan(100);
    expect(l.answers.PING, report).toMatchObject({ unanswered: 0, answeredTwice: 0 });
    expect(l.answers.HELLO.handled, report).toBeGreaterThan(0);
    expect(l.answers.HELLO, report).toMatchObject({ unanswered: 0, answeredTwice: 0 });
    expect(l.repliesNotAccepted, report).toBe(0);
    expect(l.votesCountedTwice, report).toBe(0);
    expect(r.driver.pongsDuplicated, report).toBe(0);
    expect(soakVerdict(r), report).toBe("pass");
    expect(r.finalStates.every((s) => s.endsWith(":stopped")), report).toBe(true);
  }, CHAOS_TEST_TIMEOUT_MS);
});
