/**
 * The cases whose verdict is info (observations, not requirements), run on
 * what an observer saw: each reports the figures, never passes or fails, and
 * skips when there is nothing to observe. Then how an info shows in every
 * report and in the verdict: counted, never graded.
 */
import { describe, expect, test } from "bun:test";
import { CASES } from "../../src/check/cases/index.ts";
import { createObserver } from "../../src/check/observer.ts";
import { formatHtml } from "../../src/check/report/html.ts";
import { formatJunit } from "../../src/check/report/junit.ts";
import { formatTerminal, summaryLine } from "../../src/check/report/terminal.ts";
import { nodeReport, summarize } from "../../src/check/runner.ts";
import type { CheckSession } from "../../src/check/session.ts";
import type { CaseReport, CheckReport } from "../../src/check/types.ts";
import { FAST_TIMING_MS } from "../support/network.ts";

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const NODE = "student";

/** A message as JSON, sent at `atMs` by the sender's clock. */
const body = (type: string, sender: string, atMs: number, msgId: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ type, sender, timestamp: new Date(atMs).toISOString(), msg_id: msgId, ...fields });

type Event =
  /** A party of the check sent the node this. */
  | { out: string; atMs: number; type: string; fields?: Record<string, unknown> }
  /** The node sent a party this; it arrived `lagMs` after the node's timestamp. */
  | { in: string; atMs: number; type: string; fields?: Record<string, unknown>; lagMs?: number };

function sessionOf(events: Event[]): CheckSession {
  const observer = createObserver();
  events.forEach((e, i) => {
    if ("out" in e) observer.record({ atMs: e.atMs, observer: e.out, dir: "out", from: e.out, to: NODE, body: body(e.type, e.out, e.atMs, `o${i}`, e.fields) });
    else observer.record({ atMs: e.atMs + (e.lagMs ?? 0), observer: e.in, dir: "in", to: e.in, body: body(e.type, NODE, e.atMs, `i${i}`, e.fields) });
  });
  return { target: NODE, timing: FAST_TIMING_MS, observer, ours: new Set(["chk-a", "chk-b"]) } as unknown as CheckSession;
}

const caseOf = (id: string) => CASES.find((c) => c.id === id)!;

const OBSERVATIONS: Array<[string, string, Event[], "info" | "skip", RegExp]> = [
  [
    "PONG latency from each PING to its PONG, by party and seq",
    "live-07",
    [
      { out: "chk-a", atMs: T0, type: "PING", fields: { seq: 1 } },
      { out: "chk-a", atMs: T0, type: "PING", fields: { seq: 2 } },
      { out: "chk-b", atMs: T0, type: "PING", fields: { seq: 1 } },
      { in: "chk-a", atMs: T0 + 100, type: "PONG", fields: { seq: 1 } },
      { in: "chk-a", atMs: T0 + 300, type: "PONG", fields: { seq: 2 } },
    ],
    "info",
    /^2 PINGs answered: p50 100 ms, p99 300 ms, slowest 300 ms; 1 without a PONG seen by the end$/,
  ],
  ["no PONG: no latency to observe", "live-07", [{ out: "chk-a", atMs: T0, type: "PING", fields: { seq: 1 } }], "skip", /^no PONG seen$/],
  [
    "the PING rate per peer, in heartbeats, by the node's own timestamps",
    "live-06",
    [0, 500, 1000, 1500].flatMap((ms): Event[] => [
      { in: "chk-a", atMs: T0 + ms, type: "PING", fields: { seq: ms + 1 }, lagMs: ms === 1000 ? 900 : 0 },
      { in: "chk-b", atMs: T0 + 2 * ms, type: "PING", fields: { seq: ms + 1 } },
    ]),
    "info",
    /^8 PINGs to 2 of the check's parties; between two to one peer: median 0\.5 s, 1\.00 heartbeats, p90 1\.0 s, 2\.00 heartbeats$/,
  ],
  ["one PING per peer: no rate", "live-06", [{ in: "chk-a", atMs: T0, type: "PING", fields: { seq: 1 } }], "skip", /never two to one/],
  [
    "fields beyond the protocol's, at the top and in PEER_LIST entries",
    "send-06",
    [
      { in: "chk-a", atMs: T0, type: "PING", fields: { seq: 1, ttl: 3 } },
      { in: "chk-a", atMs: T0 + 10, type: "PING", fields: { seq: 2, ttl: 3 } },
      { in: "chk-b", atMs: T0 + 20, type: "PEER_LIST", fields: { peers: [{ node_id: NODE, rtt_ms: 12 }] } },
    ],
    "info",
    /^of 3 valid messages: PING\.ttl on 2, PEER_LIST\.peers\[\]\.rtt_ms on 1$/,
  ],
  ["no field beyond the protocol's", "send-06", [{ in: "chk-a", atMs: T0, type: "PING", fields: { seq: 1 } }], "info", /^1 valid messages, none with a field beyond the protocol's$/],
  [
    "an UNCHOKE of a choked party that sent no report is optimistic; one after a report is not",
    "rep-07",
    [
      { in: "chk-a", atMs: T0, type: "CHOKE" },
      { in: "chk-b", atMs: T0, type: "CHOKE" },
      { out: "chk-b", atMs: T0 + 1000, type: "VIEW_EVENT", fields: { event_id: "e1", content_id: "show:x", count: 120, ad_id: "ad-1" } },
      { in: "chk-a", atMs: T0 + 3000, type: "UNCHOKE" },
      { in: "chk-b", atMs: T0 + 3000, type: "UNCHOKE" },
    ],
    "info",
    /^2 CHOKEs and 2 UNCHOKEs to 2 of the check's parties; 1 UNCHOKEs of a choked party that had sent no report in 6\.0 s \(optimistic\), to chk-a$/,
  ],
  ["never a CHOKE: nothing to observe", "rep-07", [{ in: "chk-a", atMs: T0, type: "PING", fields: { seq: 1 } }], "skip", /^no CHOKE or UNCHOKE seen$/],
  [
    "gossip is a PEER_LIST that answers no HELLO",
    "disc-06",
    [
      { out: "chk-a", atMs: T0, type: "HELLO", fields: { queue_url: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-chk-a-p2p" } },
      { in: "chk-a", atMs: T0 + 100, type: "PEER_LIST", fields: { peers: [{ node_id: NODE }] } },
      { in: "chk-b", atMs: T0 + 2000, type: "PEER_LIST", fields: { peers: [{ node_id: NODE }, { node_id: "chk-a" }] } },
      { in: "chk-a", atMs: T0 + 20_000, type: "PEER_LIST", fields: { peers: [{ node_id: NODE }, { node_id: "chk-b" }, { node_id: "bot-alpha" }] } },
    ],
    "info",
    /^2 gossip PEER_LISTs to 2 of the check's parties over 18 s: 0\.1 a gossip interval; entries a list: median 2, 2 to 3$/,
  ],
];

describe("observations: their verdict is info, with the figures", () => {
  test.each(OBSERVATIONS)("%s (%s)", async (_, id, events, verdict, observed) => {
    const c = caseOf(id);
    expect(c.observation).toBe(true);
    const o = await c.run(sessionOf(events));
    expect({ verdict: o.verdict, observed: o.observed }).toEqual({ verdict, observed: expect.stringMatching(observed) });
  });

  test("every observation is a final case, and only observations say info", () => {
    const observing = CASES.filter((c) => c.observation).map((c) => [c.id, c.phase]);
    expect(observing).toEqual(["disc-06", "live-06", "live-07", "send-06", "rep-07"].map((id) => [id, "final"]));
  });
});

describe("an info in the verdict and the reports", () => {
  const c = (id: string, verdict: CaseReport["verdict"], level: "MUST" | "SHOULD" = "MUST"): CaseReport => ({
    id, title: `title of ${id}`, area: "liveness", requirement: "PING-1", requirementText: "A node answers every PING.", level, verdict, expected: "e", observed: `observed ${id}`, evidence: [], durationMs: 1,
  });
  test.each([
    ["info beside a pass passes", [c("live-01", "pass"), c("live-07", "info")], "pass"],
    ["info alone never passes: nothing was judged", [c("live-07", "info"), c("live-06", "info")], "fail"],
    ["info does not save a failed MUST", [c("live-01", "fail"), c("live-07", "info")], "fail"],
  ] as const)("%s", (_, cases, want) => {
    expect(nodeReport("n", [...cases]).verdict).toBe(want);
  });

  const cases = [c("live-01", "pass"), c("live-02", "fail"), c("live-03", "non-strict", "SHOULD"), c("live-04", "skip"), c("live-07", "info")];
  const node = nodeReport(NODE, cases);
  const report: CheckReport = {
    ...node, nodes: [node], mode: "run", quick: false, seed: "ds2032", startedAt: new Date(T0).toISOString(), durationMs: 1000, timeLimitS: 60, longestStallMs: 0,
    timings: { heartbeatS: 0.5, gossipS: 1, viewsS: 0.5, auditS: 1, epochS: 2, rechokeS: 1, optimisticS: 3 },
  };

  test("the summary line counts each verdict, info too", () => {
    expect(summaryLine(summarize(cases))).toBe("5 cases: 1 passed, 1 failed, 1 non-strict, 1 skipped, 1 info");
  });

  test.each([
    ["terminal: its own mark and what it observed, on its line", () => formatTerminal(report), /^ {2}i live-07 {2}title of live-07 {2}\(info, not graded: observed live-07\)$/m],
    ["JUnit: a testcase that passes, with the observation as a property and in its output", () => formatJunit(report), /<testcase name="live-07 title of live-07"[^>]*>\s*<properties><property name="verdict" value="info"\/><property name="observed" value="observed live-07"\/><\/properties>\s*<system-out>info \(an observation, not graded\)/],
    ["HTML: a case of its own class and mark", () => formatHtml(report, [], [NODE]), /<div class="case v-info" id="case-0-live-07"[^>]*><span class="m">i<\/span>/],
  ] as const)("%s", async (_, format, want) => {
    expect(await format()).toMatch(want);
  });

  test("JUnit counts an info neither as a failure nor as a skip", () => {
    const suite = /<testsuite [^>]*>/.exec(formatJunit(report))![0];
    expect(suite).toContain('failures="1"');
    expect(suite).toContain('skipped="1"');
    const live07 = /<testcase name="live-07[\s\S]*?<\/testcase>/.exec(formatJunit(report))![0];
    expect(live07).not.toMatch(/<failure|<skipped/);
  });
});
