/**
 * `fleet check` catches broken nodes. The Python node of test/check/nodes
 * is checked as it is (it must pass every MUST) and with each of its planted
 * bugs switched on (PLANTED_BUG=<name>, one bug a run): each must be failed
 * by the case that names it, a non-strict verdict where that case checks a
 * SHOULD. Request/response bugs get `--quick`, the others the full check at
 * fast timings, cut to the time the named case needs where it waits on the
 * node's timers. The correct node is checked alone, the bugs two at a time.
 * Which other cases a bug also fails is printed at the end, one line per bug.
 * A named case the checker did not judge (it or the node stalled: "run the
 * check again") gets one more run.
 *
 * Bugs the checker does not catch yet are `test.failing`, each with what the
 * case said instead: the day the checker catches one, its test fails and
 * moves to the table of caught bugs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AREAS, CheckReport, type Area, type CaseReport } from "../../src/check/types.ts";
import { describeWith, pythonWith } from "../support/outside.ts";
import { OUTPUT_DIR } from "../dashboard/browser.ts";
import { CASES } from "../../src/check/cases/index.ts";
import { startupMs } from "../../src/check/local.ts";
import { loadFleetFile } from "../../src/fleet/config-load.ts";
import { timingMs } from "../../src/fleet/config.ts";
import { CHECK_LANES, FAST_FILE, pool, runCheckCli } from "./helpers.ts";

const PY_NODE = join(import.meta.dir, "nodes", "p2p_node.py");
const REPORTS_DIR = join(OUTPUT_DIR, "planted");
/** The longest a check may take here: a fast full check takes about 20 s. */
const CHECK_MAX_MS = 120_000;

interface Planted {
  bug: string;
  area: Area;
  /** The case that names the bug. */
  names: string;
  quick: boolean;
  /**
   * Where the named case runs early enough (or last, as the sends cases always do), the check
   * need not run to its end: cases that no longer fit say skip.
   */
  timeLimitS?: number;
  /**
   * A full check ends once this long case (the named one, or the one whose story a final case
   * judges) has had all it needs: the other long cases that would wait longer, the more so on a
   * node whose bug makes them wait to the end, say skip.
   */
  limitBy?: string;
  /** What the checker says instead, while it misses the bug. */
  missed?: string;
}

const PLANTED: Planted[] = [
  { bug: "no-peer-list", area: "discovery", names: "disc-01", quick: true },
  { bug: "peer-list-without-self", area: "discovery", names: "disc-02", quick: true },
  // Every later quick case waits its whole reply window for a PONG of the right seq: about 2 minutes without a limit.
  { bug: "pong-wrong-seq", area: "liveness", names: "live-01", quick: true, timeLimitS: 30 },
  { bug: "no-ping", area: "liveness", names: "live-04", quick: false, limitBy: "live-04" },
  { bug: "no-dedupe", area: "transport", names: "tran-01", quick: true },
  { bug: "crash-on-bad-body", area: "transport", names: "tran-05", quick: true },
  { bug: "timestamp-no-offset", area: "sends", names: "send-02", quick: true, timeLimitS: 12 },
  { bug: "reused-msg-id", area: "sends", names: "send-03", quick: true },
  { bug: "wrong-epoch", area: "views-audits", names: "view-01", quick: false, limitBy: "view-01" },
  { bug: "confidence-percent", area: "views-audits", names: "audit-02", quick: false, limitBy: "audit-02" },
  { bug: "voters-all-peers", area: "views-audits", names: "audit-03", quick: false, limitBy: "audit-03" },
  { bug: "never-chokes", area: "reputation-choking", names: "rep-02", quick: false, limitBy: "rep-02" },
  // rep-05 judges the CHOKEs of the free riders' story, which rep-02 runs.
  { bug: "choke-every-rechoke", area: "reputation-choking", names: "rep-05", quick: false, limitBy: "rep-02" },
  { bug: "gossips-dead", area: "failure", names: "fail-01", quick: false },
];

const FAST_TIMING_MS = (() => {
  const f = loadFleetFile(FAST_FILE);
  if (!f.ok) throw new Error(f.message);
  return timingMs(f.file.timing);
})();

/** The time limit of a check cut to what case `id` needs: the node's start (at most startupMs), the case's own wait, and slack. */
function limitFor(id: string): number {
  const c = CASES.find((x) => x.id === id);
  if (!c || c.phase !== "long") throw new Error(`${id}: not a long case`);
  return Math.ceil((startupMs(FAST_TIMING_MS.heartbeatMs) + c.needsMs(FAST_TIMING_MS) + 5_000) / 1000);
}

const timeLimitOf = (p: Planted) => p.timeLimitS ?? (p.limitBy ? limitFor(p.limitBy) : undefined);

interface Run {
  code: number;
  stderr: string;
  report: CheckReport | null;
}

/** One `fleet check --run` of the Python node, as a user runs it. */
async function check(bug: string, quick: boolean, timeLimitS?: number): Promise<Run> {
  const args = ["--run", `python3 ${PY_NODE}`, "--file", FAST_FILE, "--json"];
  if (quick) args.push("--quick");
  if (timeLimitS !== undefined) args.push("--time-limit", String(timeLimitS));
  const { stdout, stderr, code } = await runCheckCli(args, { env: { PLANTED_BUG: bug } });
  // Each run's report stays for a look at its evidence: test-output/planted/<bug>.json.
  mkdirSync(REPORTS_DIR, { recursive: true });
  writeFileSync(join(REPORTS_DIR, `${bug || "correct"}.json`), stdout);
  let report: CheckReport | null = null;
  try {
    report = CheckReport.parse(JSON.parse(stdout));
  } catch {
    // Exit code 2 (the check could not run) prints no report; stderr says why.
  }
  return { code, stderr, report };
}

const python = pythonWith(["boto3"]);

describeWith(python)("fleet check against the Python node and its planted bugs", () => {
  const runs = new Map<string, Promise<Run>>();
  const summary: string[] = [];

  beforeAll(() => {
    // The correct node first and alone: its verdict must not depend on what else the machine runs.
    const correct = check("", false);
    runs.set("", correct);
    const after = correct.then(() => undefined, () => undefined);
    const bugs = pool(
      PLANTED.map((p) => () => after.then(() => check(p.bug, p.quick, timeLimitOf(p)))),
      CHECK_LANES,
    );
    PLANTED.forEach((p, i) => runs.set(p.bug, bugs[i]!));
  });

  afterAll(async () => {
    // Every check started ends on its own (each has its time limit): none is left behind, even when tests were filtered out.
    await Promise.race([Promise.allSettled(runs.values()), Bun.sleep(CHECK_MAX_MS * 3)]);
    if (summary.length > 0) console.log(["planted bugs, and every case each one fails:", ...summary].join("\n  "));
  }, CHECK_MAX_MS * 3 + 5_000);

  /** The report of a run that ran; the reason in the failure when it did not. */
  const reportOf = async (bug: string): Promise<CheckReport> => {
    const run = await runs.get(bug)!;
    if (run.report === null) throw new Error(`fleet check ${bug ? `with PLANTED_BUG=${bug} ` : ""}exited ${run.code} without a report:\n${run.stderr}`);
    return run.report;
  };
  const failing = (r: CheckReport) => r.cases.filter((c) => c.verdict === "fail" || c.verdict === "non-strict");
  /** A MUST case fails a bug; a SHOULD case says non-strict. */
  const caught = (c: CaseReport) => c.verdict === (c.level === "MUST" ? "fail" : "non-strict");

  test("the correct node passes every MUST, and every case runs", async () => {
    const r = await reportOf("");
    expect(r.cases.filter((c) => c.level === "MUST" && c.verdict === "fail").map((c) => `${c.id}: ${c.observed}`)).toEqual([]);
    expect(r.cases.filter((c) => c.verdict === "skip").map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
    expect(r.verdict).toBe("pass");
    expect((await runs.get("")!).code).toBe(0);
  }, CHECK_MAX_MS * 3);

  test("the table plants a caught bug in every area of the checker, each named by a case of its area", async () => {
    const r = await reportOf("");
    const areaOf = new Map(r.cases.map((c) => [c.id, c.area]));
    for (const p of PLANTED) expect({ bug: p.bug, area: areaOf.get(p.names) }).toEqual({ bug: p.bug, area: p.area });
    expect([...new Set(PLANTED.filter((p) => !p.missed).map((p) => p.area))].sort()).toEqual([...AREAS].sort());
  }, CHECK_MAX_MS * 3);

  for (const p of PLANTED) {
    const title = `${p.bug} (${p.area}${p.quick ? ", --quick" : ""}): failed by ${p.names}`;
    const body = async () => {
      let r = await reportOf(p.bug);
      // The checker judges nothing while it (or the node) stalled, and says to run it again: once.
      if (r.cases.find((c) => c.id === p.names)?.reason?.startsWith("not judged")) {
        runs.set(p.bug, check(p.bug, p.quick, timeLimitOf(p)));
        r = await reportOf(p.bug);
      }
      const named = r.cases.find((c) => c.id === p.names)!;
      const others = failing(r).filter((c) => c.id !== p.names).map((c) => c.id);
      summary.push(`${p.bug}: ${p.names} ${named.verdict}${p.missed ? " (missed)" : ""}; also ${others.length > 0 ? others.join(", ") : "none"}`);
      expect({ case: named.id, verdict: named.verdict, observed: named.observed }).toEqual({
        case: p.names,
        verdict: named.level === "MUST" ? "fail" : "non-strict",
        observed: named.observed,
      });
      expect(caught(named)).toBe(true);
      // A broken MUST fails the node; a broken SHOULD alone would not.
      if (named.level === "MUST") expect(r.verdict).toBe("fail");
    };
    if (p.missed) test.failing(`${title} -- missed so far: ${p.missed}`, body, CHECK_MAX_MS * 3);
    else test(title, body, CHECK_MAX_MS * 3);
  }

  test("crash-on-bad-body: the case that killed the node says its process ended, and so does every later failure", async () => {
    const r = await reportOf("crash-on-bad-body");
    const killer = r.cases.find((c) => c.id === "tran-05")!;
    expect(killer.verdict).toBe("fail");
    expect(killer.observed).toContain("the node's process ended");
    const after = failing(r).filter((c) => c.id !== "tran-05");
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((c) => !c.observed.includes("the node's process")).map((c) => `${c.id}: ${c.observed}`)).toEqual([]);
  }, CHECK_MAX_MS * 3);
});
