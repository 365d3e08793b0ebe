/** The checker's small rules, as tables: the liar's pattern, the probes' report rate, evidence lines, verdicts. */
import { describe, expect, test } from "bun:test";
import { liarLies, probeReportEveryMs } from "../../src/check/probe.ts";
import { evidenceOf, nodeReport, EVIDENCE_BODY_CHARS } from "../../src/check/runner.ts";
import { stallExcuseMs, startStallMonitor } from "../../src/check/stalls.ts";
import { diagramRecords } from "../../src/check/report/html.ts";
import type { CaseReport } from "../../src/check/types.ts";
import { helloBurst } from "../../src/check/cases/discovery.ts";
import { mayRoundToOne } from "../../src/check/cases/views-audits.ts";
import { replyMs, strayPongNote, strayPongSeqs } from "../../src/check/cases/util.ts";
import { createObserver } from "../../src/check/observer.ts";
import { classIn } from "../../src/check/remote.ts";
import type { WireRecord } from "../../src/runtime/wire-record.ts";

const FAST = { heartbeatMs: 500, gossipMs: 1000, viewsMs: 500, auditMs: 1000, epochMs: 2000, rechokeMs: 1000, optimisticMs: 3000 };
const DEFAULT = { heartbeatMs: 10_000, gossipMs: 15_000, viewsMs: 10_000, auditMs: 30_000, epochMs: 30_000, rechokeMs: 10_000, optimisticMs: 30_000 };

describe("the liar probe", () => {
  test("lies on exactly half of the (content, epoch) pairs, over any run of epochs", () => {
    for (const items of [1, 2, 3, 4]) {
      let lies = 0;
      for (let e = 1000; e < 1020; e++) for (let i = 0; i < items; i++) if (liarLies(i, e)) lies++;
      expect([items, lies]).toEqual([items, (20 * items) / 2]);
    }
  });
});

describe("probes report", () => {
  test.each([
    ["fast", FAST, 1000],
    ["default", DEFAULT, 15_000],
  ])("at %s timings every %#", (_, t, want) => {
    const every = probeReportEveryMs(t);
    expect(every).toBe(want);
    // Within the contribution window (6 rechokes) and at least twice an epoch.
    expect(every).toBeLessThan(6 * t.rechokeMs);
    expect(every).toBeLessThanOrEqual(t.epochMs / 2);
  });
});

describe("disc-01's burst of HELLOs", () => {
  test.each([
    ["fast", 12, FAST],
    ["default", 3, DEFAULT],
  ] as const)("at %s timings: %p HELLOs, one more than gossip can bring in the reply window", (_, want, t) => {
    const burst = helloBurst(t, replyMs(t));
    expect(burst).toBe(want);
    // Gossip at the network's interval, from the first instant of the window, brings one PEER_LIST a round.
    let gossip = 0;
    for (let at = 0; at <= replyMs(t); at += t.gossipMs) gossip++;
    expect(burst).toBe(gossip + 1);
  });
  test("a probe that spoke before the burst gets a bigger one: gossip may have reached it since", () => {
    expect(helloBurst(FAST, replyMs(FAST) + 3_000)).toBe(helloBurst(FAST, replyMs(FAST)) + 3);
  });
});

describe("audit-02: whether a result with dissenting voters may still round to a confidence of 1.00", () => {
  // (others agreeing, others dissenting, the node's own report agrees: true/false/not a voter)
  test.each([
    [3, 1, true, false],
    [2, 0, false, false],
    [11, 1, true, true],
    [20, 1, null, true],
    [10, 2, true, false],
    [4, 1, null, false],
  ] as const)("%d agreeing, %d dissenting, own agrees %p: %p", (agreeing, dissenting, own, want) => {
    expect(mayRoundToOne(agreeing, dissenting, own)).toBe(want);
  });
});

describe("evidence", () => {
  const rec = (body: string): WireRecord => ({ atMs: Date.UTC(2026, 11, 1, 9, 0, 0), observer: "chk-a", dir: "in", from: "student", to: "chk-a", type: "PING", msgId: "m1", size: body.length, body });
  test.each([
    ["a short body as it is", '{"type":"PING"}', '{"type":"PING"}'],
    ["control characters as spaces, on one line", '{"a":"x\ny\u0007"}', '{"a":"x y "}'],
  ])("%s", (_, body, want) => {
    expect(evidenceOf(rec(body)).body).toBe(want);
  });
  test("a long body is cut to one line with an ellipsis", () => {
    const e = evidenceOf(rec("x".repeat(1000)));
    expect([e.body.length, e.body.endsWith("…"), e.time]).toEqual([EVIDENCE_BODY_CHARS, true, "2026-12-01T09:00:00.000Z"]);
  });
});

describe("a node's verdict", () => {
  const c = (verdict: CaseReport["verdict"], level: "MUST" | "SHOULD" = "MUST"): CaseReport => ({
    id: "x-01", title: "t", area: "liveness", requirement: "PING-1", requirementText: "", level, verdict, expected: "", observed: "", evidence: [], durationMs: 0,
  });
  test.each([
    ["every MUST passed", [c("pass"), c("pass")], "pass"],
    ["a SHOULD broken (non-strict) still passes", [c("pass"), c("non-strict", "SHOULD")], "pass"],
    ["one MUST failed", [c("pass"), c("fail")], "fail"],
    ["nothing judged never passes", [c("skip"), c("skip")], "fail"],
    ["no case at all never passes", [], "fail"],
  ])("%s", (_, cases, want) => {
    expect(nodeReport("n", cases as CaseReport[]).verdict).toBe(want as "pass" | "fail");
  });
});

describe("the diagram's records", () => {
  test("a message from the node gets its send half from its own timestamp; others pass as they are", () => {
    const inAt = Date.UTC(2026, 11, 1, 9, 0, 1);
    const fromNode: WireRecord = { atMs: inAt, observer: "chk-a", dir: "in", from: "student", to: "chk-a", type: "PONG", msgId: "p1", size: 10, body: '{"type":"PONG","timestamp":"2026-12-01T09:00:00.500Z"}' };
    const toNode: WireRecord = { ...fromNode, observer: "chk-a", dir: "out", from: "chk-a", to: "student", msgId: "q1", atMs: inAt - 800 };
    const between: WireRecord = { ...fromNode, from: "bot-alpha", to: "bot-bravo" };
    const got = diagramRecords([fromNode, toNode, between], ["student"]);
    expect(got.map((r) => [r.dir, r.from, r.to, r.atMs - inAt])).toEqual([
      ["out", "chk-a", "student", -800],
      ["out", "student", "chk-a", -500],
      ["in", "student", "chk-a", 0],
    ]);
  });
});

describe("the checker's own stalls", () => {
  test("a blocked event loop is measured; the excuse starts at 4 heartbeats, at least 1 s", async () => {
    const m = startStallMonitor();
    await Bun.sleep(120);
    const t0 = Date.now();
    const until = t0 + 600;
    while (Date.now() < until) {
      // Busy on purpose: the process does nothing else meanwhile, as when the machine starves it.
    }
    await Bun.sleep(120);
    const longest = m.longestMs(t0, Date.now());
    m.stop();
    expect(longest).toBeGreaterThanOrEqual(450);
    expect([stallExcuseMs(500), stallExcuseMs(10_000)]).toEqual([2_000, 40_000]);
  });
});

describe("PONGs with a seq no PING carried, named beside a 'no PONG'", () => {
  const NODE = "student";
  const at = Date.parse("2026-12-01T12:00:00.000Z");
  const msg = (type: string, sender: string, seq: number, i: number) => JSON.stringify({ type, sender, timestamp: new Date(at + i).toISOString(), msg_id: `m${i}`, seq });
  // [what, PINGs the probe sent, PONGs the node sent it (seq, ms after the start), since ms, the seqs that are stray, the note]
  test.each<[string, number[], Array<[number, number]>, number, number[], string]>([
    ["a correct node: every PONG echoes a PING", [7, 8], [[7, 10], [8, 20]], 0, [], ""],
    ["seq + 1: the PONG that came names a seq no PING carried", [7], [[8, 10]], 0, [8], "; PONGs came with seq 8, which no PING carried (PING-1: the same seq)"],
    ["an answer to an earlier PING of the probe is not stray", [1, 7], [[1, 10], [9, 20]], 0, [9], "; PONGs came with seq 9, which no PING carried (PING-1: the same seq)"],
    ["only PONGs since the case began count", [7], [[99, 5], [8, 50]], 40, [8], "; PONGs came with seq 8, which no PING carried (PING-1: the same seq)"],
    ["many: the first five and the count", [0], [1, 2, 3, 4, 5, 6, 7].map((q, i): [number, number] => [q, i + 1]), 0, [1, 2, 3, 4, 5, 6, 7], "; PONGs came with seq 1, 2, 3, 4, 5, … (7), which no PING carried (PING-1: the same seq)"],
  ])("%s", (_, pings, pongs, sinceMs, stray, note) => {
    const observer = createObserver();
    pings.forEach((seq, i) => observer.record({ atMs: at, observer: "chk-pinger", dir: "out", from: "chk-pinger", to: NODE, body: msg("PING", "chk-pinger", seq, i) }));
    // Another probe's PINGs do not make this probe's PONGs right.
    observer.record({ atMs: at, observer: "chk-other", dir: "out", from: "chk-other", to: NODE, body: msg("PING", "chk-other", 8, 900) });
    pongs.forEach(([seq, ms], i) => observer.record({ atMs: at + ms, observer: "chk-pinger", dir: "in", to: "chk-pinger", body: msg("PONG", NODE, seq, 100 + i) }));
    expect(strayPongSeqs(observer, NODE, "chk-pinger", at + sinceMs)).toEqual(stray);
    expect(strayPongNote(observer, NODE, "chk-pinger", at + sinceMs)).toBe(note);
  });
});

describe("--all: the nodes of the class a running fleet knows", () => {
  type St = "alive" | "suspect" | "dead";
  const node = (id: string, peers: Array<[string, St]>) => ({ id, peers: peers.map(([pid, status]) => ({ id: pid, status })) });
  // [what, the fleet's nodes and their peer tables, checked, left out as dead]
  test.each<[string, ReturnType<typeof node>[], string[], string[]]>([
    ["the fleet's own nodes are not the class", [node("bot-alpha", [["bot-bravo", "alive"]]), node("bot-bravo", [["bot-alpha", "alive"]])], [], []],
    ["a node outside the fleet, alive to one", [node("bot-alpha", [["sam", "alive"]]), node("bot-bravo", [["sam", "dead"]])], ["sam"], []],
    ["suspect is still checked: it may come back within the check", [node("bot-alpha", [["sam", "suspect"]])], ["sam"], []],
    ["dead to every fleet node that lists it: left out, and named", [node("bot-alpha", [["sam", "dead"], ["hugo", "alive"]]), node("bot-bravo", [["sam", "dead"]])], ["hugo"], ["sam"]],
    ["an earlier check's probes are never the class", [node("bot-alpha", [["chkab1-pinger", "alive"], ["zed", "alive"]])], ["zed"], []],
  ])("%s", (_, nodes, ids, dead) => {
    expect(classIn({ nodes } as unknown as Parameters<typeof classIn>[0])).toEqual({ ids, dead });
  });
});
