/**
 * `fleet check` from the outside: its exit codes (0 every MUST passed, 1 one
 * failed, 2 it could not run), its one-message answers to bad flags, and the
 * shapes of --json and --junit.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CASES } from "../../src/check/cases/index.ts";
import { selectCases } from "../../src/check/runner.ts";
import { CheckReport } from "../../src/check/types.ts";
import { existsSync } from "node:fs";
import { until } from "../support/until.ts";
import { FAST_FILE, personaCommand, ROOT, runCheckCli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "fleet-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fleet check: what it refuses, with exit code 2 and one message", () => {
  test.each([
    [[], "give --run"],
    [["--run", "true", "bot-alpha"], "give --run"],
    [["--run", "true", "--aws"], "--run starts its own embedded SQS"],
    [["bot-alpha", "--id", "x"], "--id names the node started by --run"],
    [["--run", "true", "--id", "Not An Id"], "--id: 1-40 lowercase"],
    [["--run", "true", "--time-limit", "-5"], "--time-limit"],
    [["--run", "true", "--bogus"], "Unknown argument"],
    [["--run", "true", "--file", "/nonexistent/fleet.yaml"], "/nonexistent/fleet.yaml"],
    [["hugo", "--sqs-port", "9"], "cannot reach the embedded SQS"],
  ])("%j", async (args, says) => {
    const r = await runCheckCli(args as string[]);
    expect({ code: r.code, says: r.stderr.includes(says as string), trace: /\n\s+at /.test(r.stderr) }).toEqual({ code: 2, says: true, trace: false });
  }, 20_000);

  test("a command that exits at once: its last output lines and exit status, exit 2", async () => {
    const r = await runCheckCli(["--run", "echo starting up; echo 'Traceback: boom' >&2; exit 3", "--file", FAST_FILE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exited with code 3");
    expect(r.stderr).toContain("| starting up");
    expect(r.stderr).toContain("| Traceback: boom");
  }, 20_000);

  test("a node that never says a word, with no time to wait: no case judged, no verdict, exit 2", async () => {
    const r = await runCheckCli(["--run", "sleep 30", "--file", FAST_FILE, "--quick", "--time-limit", "1", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("judged no case");
    const report = CheckReport.parse(JSON.parse(r.stdout));
    expect(report.verdict).toBe("fail");
    expect(report.summary.passed + report.summary.failed).toBe(0);
  }, 20_000);
});

describe("fleet check --time-limit", () => {
  test("cases that cannot finish in time are skipped, saying why; what ran is judged", async () => {
    const r = await runCheckCli(["--run", personaCommand("node"), "--file", FAST_FILE, "--time-limit", "3", "--json"]);
    const report = CheckReport.parse(JSON.parse(r.stdout));
    const long = CASES.filter((c) => c.phase === "long").map((c) => c.id);
    const skipped = report.cases.filter((c) => long.includes(c.id) && c.verdict === "skip");
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((c) => /--time-limit/.test(c.reason ?? ""))).toBe(true);
    expect(report.cases.filter((c) => c.verdict === "fail").map((c) => c.id)).toEqual([]);
    expect(report.timeLimitS).toBe(3);
  }, 60_000);
});

describe("fleet check --quick of the built-in node", () => {
  const junit = join(dir, "report.xml");
  const pidFile = join(dir, "pid");
  const endpointFile = join(dir, "endpoint");
  let run: Awaited<ReturnType<typeof runCheckCli>>;

  test("passes every MUST and exits 0", async () => {
    // exec: the node's process is the shell's, so its pid is the one written.
    const cmd = `echo $$ > ${pidFile}; echo $AWS_ENDPOINT_URL_SQS > ${endpointFile}; exec ${personaCommand("node")}`;
    run = await runCheckCli(["--run", cmd, "--file", FAST_FILE, "--quick", "--json", "--junit", junit]);
    expect(run.code).toBe(0);
  }, 60_000);

  test("when it ends, the node's process and the embedded SQS (with every queue) are gone", async () => {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    const endpoint = readFileSync(endpointFile, "utf8").trim();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
    const reached = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) }).then(() => true, () => false);
    expect(reached).toBe(false);
  });

  test("--json: node, verdict, cases with their requirement and evidence, summary, timings and seed", () => {
    const report = CheckReport.parse(JSON.parse(run.stdout));
    expect(report.node).toBe("student");
    expect(report.verdict).toBe("pass");
    expect(report.seed).toBe("ds2032");
    expect(report.timings.heartbeatS).toBe(0.5);
    // No long case, nor one that judges only what long cases bring about (chokes): it could only skip.
    expect(report.cases.map((c) => c.id)).toEqual(selectCases(CASES, true).map((c) => c.id));
    const longIds = CASES.filter((c) => c.phase === "long").map((c) => c.id);
    expect(report.cases.map((c) => c.id).filter((id) => longIds.includes(id) || id === "rep-05" || id === "rep-07")).toEqual([]);
    expect(report.cases.filter((c) => c.verdict === "skip").map((c) => c.id)).toEqual([]);
    const ping = report.cases.find((c) => c.id === "live-01")!;
    expect(ping).toMatchObject({ requirement: "PING-1", level: "MUST", verdict: "pass" });
    expect(ping.requirementText).toContain("PONG");
    expect(ping.evidence.map((e) => e.type)).toContain("PONG");
    expect(report.summary.cases).toBe(report.cases.length);
  });

  test("--junit: one testcase per case, no failure", () => {
    const xml = readFileSync(junit, "utf8");
    expect(xml.startsWith('<?xml version="1.0"')).toBe(true);
    expect(xml.match(/<testcase /g)?.length).toBe(selectCases(CASES, true).length);
    expect(xml).toContain('failures="0"');
    expect(xml).not.toContain("<failure");
  });
});

describe("fleet check stopped from outside", () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  test.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("%s: the node it started goes too, and there is no verdict (exit %d)", async (sig, code) => {
    const pidFile = join(dir, `stopped-${sig}.pid`);
    // A node that ignores SIGTERM, as a student's may: only the group's SIGKILL ends it.
    const proc = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "check", "--run", `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 1; done`, "--file", FAST_FILE], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const pid = await until("the node's shell wrote its pid", 30_000, () => existsSync(pidFile) && Number(readFileSync(pidFile, "utf8").trim()));
    expect(alive(pid)).toBe(true);
    proc.kill(sig);
    const [stderr, exit] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(exit).toBe(code);
    expect(stderr).toContain(`fleet check stopped by ${sig}: no verdict`);
    await until("the node's process is gone", 10_000, () => !alive(pid));
  }, 60_000);
});

