/** What `fleet check` says while it runs: the opening estimate and the progress lines, as tables. */
import { describe, expect, test } from "bun:test";
import { CASES } from "../../src/check/cases/index.ts";
import { createObserver } from "../../src/check/observer.ts";
import { planOf, progressLine, silenceLine, silentAfterMs, silentTargets, startLine } from "../../src/check/progress.ts";
import { selectCases } from "../../src/check/runner.ts";

const FAST = { heartbeatMs: 500, gossipMs: 1000, viewsMs: 500, auditMs: 1000, epochMs: 2000, rechokeMs: 1000, optimisticMs: 3000 };
const DEFAULT = { heartbeatMs: 10_000, gossipMs: 15_000, viewsMs: 10_000, auditMs: 30_000, epochMs: 30_000, rechokeMs: 10_000, optimisticMs: 30_000 };

describe("the opening line", () => {
  test.each([
    // run, quick, timings, what it must say, what it must not
    ["the full check, fast timings", false, FAST, /^checking student: 47 cases at heartbeat 0.5 s, epoch 2 s; up to \d+ s for a node that answers, \d+ s at most$/, null],
    ["the full check, default timings", false, DEFAULT, /^checking student: 47 cases at heartbeat 10 s, epoch 30 s; up to \d+ s for a node that answers, \d+ s at most$/, null],
    // --quick runs no long case: there is no "node that answers" figure to give, least of all "up to 0 s".
    ["--quick, fast timings", true, FAST, /^checking student: 28 quick cases \(request and response\) at heartbeat 0.5 s, epoch 2 s; \d+ s at most$/, /for a node that answers/],
    ["--quick, default timings", true, DEFAULT, /^checking student: 28 quick cases \(request and response\) at heartbeat 10 s, epoch 30 s; \d+ s at most$/, /up to 0 s/],
  ] as const)("%s", (_, quick, t, says, never) => {
    const cases = selectCases(CASES, quick);
    const { plannedMs, typicalMs } = planOf(cases, t);
    const line = startLine({ targets: ["student"], cases: cases.length, quick, heartbeatS: t.heartbeatMs / 1000, epochS: t.epochMs / 1000, typicalMs, atMostMs: plannedMs });
    expect(line).toMatch(says);
    if (never) expect(line).not.toMatch(never);
  });

  test("the typical figure is the longest long case, never more than the bound", () => {
    const { plannedMs, typicalMs } = planOf(selectCases(CASES, false), DEFAULT);
    expect(typicalMs).not.toBeNull();
    expect(typicalMs!).toBeGreaterThan(0);
    expect(typicalMs!).toBeLessThanOrEqual(plannedMs);
    expect(planOf(selectCases(CASES, true), DEFAULT).typicalMs).toBeNull();
  });
});

describe("the progress line", () => {
  const c = (id: string, phase: "quick" | "long" | "final") => ({ id, phase });
  test.each([
    ["cases that wait on the node come before those that judge the whole run", [c("disc-06", "final"), c("live-04", "long"), c("send-01", "final"), c("rep-01", "long")], "  20/47 cases done, 52 s; waiting on live-04, rep-01; then 2 that judge the whole run"],
    ["only cases that wait on the node", [c("live-01", "quick"), c("rep-01", "long")], "  20/47 cases done, 52 s; waiting on live-01, rep-01"],
    ["only the cases that judge the whole run are left", [c("disc-06", "final"), c("send-01", "final"), c("rep-07", "final")], "  20/47 cases done, 52 s; judging the whole run (3 cases)"],
    [
      "more names than a line holds: the first six and the count",
      ["a", "b", "c", "d", "e", "f", "g", "h"].map((x) => c(`long-${x}`, "long")).concat([c("send-01", "final")]),
      "  20/47 cases done, 52 s; waiting on long-a, long-b, long-c, long-d, long-e, long-f, … (8); then 1 that judges the whole run",
    ],
    [
      "several nodes: a case still waiting on one of them is named once, though another node finished it",
      [c("live-04", "long"), c("live-04", "long"), c("rep-01", "long"), c("send-01", "final"), c("send-01", "final")],
      "  20/47 cases done, 52 s; waiting on live-04, rep-01; then 1 that judges the whole run",
    ],
  ] as const)("%s", (_, waiting, want) => {
    expect(progressLine(20, 47, 52, waiting)).toBe(want);
  });
});

describe("a node that sends the check nothing is named, with what to look at", () => {
  const at = Date.parse("2026-12-01T12:00:00.000Z");
  const ping = (sender: string) => JSON.stringify({ type: "PING", sender, timestamp: new Date(at).toISOString(), msg_id: "m1", seq: 1 });
  // [what, bodies that reached a party of the check (sender, body), the silent ones of hugo and sam]
  test.each<[string, Array<[string, string]>, string[]]>([
    ["nothing from either", [], ["hugo", "sam"]],
    ["a valid message from one", [["hugo", ping("hugo")]], ["sam"]],
    // Garbage is still a sign the node runs and sends: the cases say what is wrong with it.
    ["a body that is not the protocol's still counts as speaking", [["sam", "not json"]], ["hugo"]],
    ["what the check's own parties send the node is not the node speaking", [["chk-pinger", ping("chk-pinger")]], ["hugo", "sam"]],
  ])("%s", (_, bodies, silent) => {
    const observer = createObserver();
    for (const [from, body] of bodies) observer.record({ atMs: at, observer: "chk-pinger", dir: "in", from, to: "chk-pinger", body });
    observer.record({ atMs: at, observer: "chk-pinger", dir: "out", from: "chk-pinger", to: "sam", body: ping("chk-pinger") });
    expect(silentTargets(observer, ["hugo", "sam"])).toEqual(silent);
  });

  test.each([
    ["progress", "network", /^  sam has sent the check's parties nothing in 30 s: is it running, .*bun run fleet peek sam/],
    ["end", "network", /^sam sent the check's parties nothing in 700 s: is it running, .*bun run fleet peek sam/],
    ["end", "run", /^sam sent the check's parties nothing in 700 s: does it read the queue of QUEUE_URL through AWS_ENDPOINT_URL_SQS/],
  ] as const)("%s line, %s mode", (during, mode, want) => {
    expect(silenceLine("sam", during === "progress" ? 30 : 700, during, mode)).toMatch(want);
  });

  test.each([
    [500, 20_000],
    [10_000, 30_000],
  ])("at heartbeat %p ms it is named after %p ms", (hb, want) => {
    expect(silentAfterMs(hb)).toBe(want);
  });
});
