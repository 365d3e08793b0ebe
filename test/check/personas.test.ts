/**
 * The checker graded by the built-in personas, each run as a process from a
 * command node's environment (`fleet node --persona P`) at fast timings:
 * `node`, `bot-alpha` and `bot-bravo` pass every MUST; `bot-charlie`, who
 * reports right half the time, fails the view-accuracy case and nothing
 * else. The same correct node gets the same verdict five times in a row.
 * The row and the bots run side by side, two checks at a time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckReport } from "../../src/check/types.ts";
import { FAST_FILE, personaCommand, runCheckCli, withVerdict } from "./helpers.ts";

/** The full check at fast timings takes about 20 s on a quiet machine (README); room for a loaded one. */
const TEST_MS = 180_000;

const dir = mkdtempSync(join(tmpdir(), "fleet-check-personas-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fullCheck(command: string) {
  const r = await runCheckCli(["--run", command, "--file", FAST_FILE, "--json"]);
  if (r.stdout.trim() === "") throw new Error(`no report (exit ${r.code}): ${r.stderr}`);
  return { ...r, report: CheckReport.parse(JSON.parse(r.stdout)) };
}

type Full = Awaited<ReturnType<typeof fullCheck>>;

/**
 * Two checks at a time, as the planted bugs run: the correct node's five in a
 * row in one lane, the three bots one after the other in the other. Each
 * check is an embedded SQS, three bots, probes and the node; two fit the
 * machine, and the stall guard keeps a loaded moment from becoming a verdict.
 */
const BOTS = ["bot-alpha", "bot-bravo", "bot-charlie"] as const;
const ROW = 5;

describe("fleet check grades the built-in personas", () => {
  const bots = new Map<string, Promise<Full>>();
  let row: Promise<Full[]>;
  beforeAll(() => {
    row = (async () => {
      const out: Full[] = [];
      for (let i = 0; i < ROW; i++) out.push(await fullCheck(personaCommand("node")));
      return out;
    })();
    let chain: Promise<unknown> = Promise.resolve();
    for (const b of BOTS) {
      const run = chain.then(() => fullCheck(personaCommand(b)));
      bots.set(b, run);
      chain = run.catch(() => undefined);
    }
  });
  afterAll(async () => {
    // Every check started ends (each within its time limit), even when tests were filtered out.
    await Promise.allSettled([row, ...bots.values()]);
  }, ROW * TEST_MS);

  test.each(["bot-alpha", "bot-bravo"])("%s passes every MUST (exit 0)", async (persona) => {
    const r = await bots.get(persona)!;
    expect(withVerdict(r.report.cases, "fail")).toEqual([]);
    expect(r.code).toBe(0);
  }, 3 * TEST_MS);

  test("bot-charlie fails the view-accuracy case and nothing else (exit 1)", async () => {
    const r = await bots.get("bot-charlie")!;
    expect(r.report.cases.filter((c) => c.verdict === "fail").map((c) => c.id)).toEqual(["view-01"]);
    const view = r.report.cases.find((c) => c.id === "view-01")!;
    expect(view.observed).toMatch(/^\d+ of \d+ right \(\d+%\); wrong: /);
    expect(view.evidence.length).toBeGreaterThan(0);
    expect(r.code).toBe(1);
  }, 3 * TEST_MS);

  test(`a correct node checked ${ROW} times in a row passes every MUST each time`, async () => {
    const verdicts = (await row).map((r) => withVerdict(r.report.cases, "fail"));
    expect(verdicts).toEqual(Array.from({ length: ROW }, () => []));
  }, ROW * TEST_MS);

  test("when it ends, the node's process and the embedded SQS (with every queue) are gone", async () => {
    const pidFile = join(dir, "pid");
    const endpointFile = join(dir, "endpoint");
    // exec: the node's process is the shell's, so its pid is the one written.
    const cmd = `echo $$ > ${pidFile}; echo $AWS_ENDPOINT_URL_SQS > ${endpointFile}; exec ${personaCommand("node")}`;
    const r = await runCheckCli(["--run", cmd, "--file", FAST_FILE, "--quick"]);
    expect(r.code).toBe(0);
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
  }, TEST_MS);
});
