/**
 * The checker graded by the built-in personas, each run as a process from a
 * command node's environment (`fleet node --persona P`) at fast timings:
 * `node`, `bot-alpha` and `bot-bravo` pass every MUST; `bot-charlie`, who
 * reports right half the time, fails the view-accuracy case and nothing
 * else. The same correct node gets the same verdict five times in a row.
 *
 * bot-charlie's check also writes --html and --junit: its JUnit failure is
 * view-01, and the HTML report, opened in a real browser, is one file that
 * needs nothing else (no request leaves the page), the cases with their
 * evidence, and the space-time diagram with the failing case's messages
 * highlighted. A screenshot goes to test-output/ to be looked at.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { CheckReport } from "../../src/check/types.ts";
import { describeWith } from "../support/outside.ts";
import { BROWSER, launchChromium, OUTPUT_DIR, screenshotPath } from "../dashboard/browser.ts";
import { CHECK_LANES, FAST_FILE, personaCommand, pool, runCheckCli, withVerdict } from "./helpers.ts";

/** The full check at fast timings takes about 20 s on a quiet machine (README); room for a loaded one. */
const TEST_MS = 180_000;

/** bot-charlie's reports, kept to be looked at. */
const REPORTS_DIR = join(OUTPUT_DIR, "check-charlie");
const HTML = join(REPORTS_DIR, "report.html");
const JUNIT = join(REPORTS_DIR, "report.xml");

async function fullCheck(command: string, more: string[] = []) {
  const r = await runCheckCli(["--run", command, "--file", FAST_FILE, "--json", ...more]);
  if (r.stdout.trim() === "") throw new Error(`no report (exit ${r.code}): ${r.stderr}`);
  return { ...r, report: CheckReport.parse(JSON.parse(r.stdout)) };
}

type Full = Awaited<ReturnType<typeof fullCheck>>;

const ROW = 5;

/**
 * Eight checks, two at a time: bot-charlie first (the browser waits on its
 * report), then the correct node's five between the other bots, so that
 * both lanes stay busy to the end.
 */
const JOBS: Array<[string, () => Promise<Full>]> = [
  ["bot-charlie", () => (mkdirSync(REPORTS_DIR, { recursive: true }), fullCheck(personaCommand("bot-charlie"), ["--html", HTML, "--junit", JUNIT]))],
  ["node", () => fullCheck(personaCommand("node"))],
  ["bot-alpha", () => fullCheck(personaCommand("bot-alpha"))],
  ["node", () => fullCheck(personaCommand("node"))],
  ["node", () => fullCheck(personaCommand("node"))],
  ["bot-bravo", () => fullCheck(personaCommand("bot-bravo"))],
  ["node", () => fullCheck(personaCommand("node"))],
  ["node", () => fullCheck(personaCommand("node"))],
];

/** A test may wait on every check of its lane before its own. */
const POOL_MS = Math.ceil(JOBS.length / CHECK_LANES) * TEST_MS;

let runs: Array<Promise<Full>> = [];
const runOf = (persona: string) => runs[JOBS.findIndex(([p]) => p === persona)]!;

beforeAll(() => {
  runs = pool(
    JOBS.map(([, job]) => job),
    CHECK_LANES,
  );
});
afterAll(async () => {
  // Every check started ends (each within its time limit), even when tests were filtered out.
  await Promise.allSettled(runs);
}, POOL_MS);

describe("fleet check grades the built-in personas", () => {
  test.each(["bot-alpha", "bot-bravo"])("%s passes every MUST (exit 0)", async (persona) => {
    const r = await runOf(persona);
    expect(withVerdict(r.report.cases, "fail")).toEqual([]);
    expect(r.code).toBe(0);
  }, POOL_MS);

  test("bot-charlie fails the view-accuracy case and nothing else (exit 1)", async () => {
    const r = await runOf("bot-charlie");
    expect(r.report.cases.filter((c) => c.verdict === "fail").map((c) => c.id)).toEqual(["view-01"]);
    const view = r.report.cases.find((c) => c.id === "view-01")!;
    expect(view.observed).toMatch(/^\d+ of \d+ right \(\d+%\); wrong: /);
    expect(view.evidence.length).toBeGreaterThan(0);
    expect(r.code).toBe(1);
  }, POOL_MS);

  test(`a correct node checked ${ROW} times in a row passes every MUST each time`, async () => {
    const row = await Promise.all(runs.filter((_, i) => JOBS[i]![0] === "node"));
    expect(row.length).toBe(ROW);
    expect(row.map((r) => withVerdict(r.report.cases, "fail"))).toEqual(Array.from({ length: ROW }, () => []));
  }, POOL_MS);

  test("bot-charlie's JUnit: its one failure is view-01, with the requirement", async () => {
    await runOf("bot-charlie");
    const xml = readFileSync(JUNIT, "utf8");
    const failures = [...xml.matchAll(/<testcase name="([^"]+)"[^>]*>\s*<failure/g)].map((m) => m[1]!.split(" ")[0]);
    expect(failures).toEqual(["view-01"]);
    expect(xml).toContain("requirement: MODEL-4 MUST");
  }, POOL_MS);
});

describeWith(BROWSER)("bot-charlie's --html report in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("opens offline with the cases, the failing case's evidence and the diagram", async () => {
    await runOf("bot-charlie");
    const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("request", (r) => !r.url().startsWith("file:") && requests.push(r.url()));
    await page.goto(`file://${HTML}`);
    await page.waitForSelector("#diagram canvas");
    const shown = await page.evaluate(() => ({
      cases: document.querySelectorAll(".case").length,
      failing: [...document.querySelectorAll(".case.v-fail .id")].map((e) => e.textContent),
      info: [...document.querySelectorAll(".case.v-info .id")].map((e) => e.textContent),
      selected: document.querySelector(".case.sel .id")?.textContent ?? null,
      evidenceRows: document.querySelectorAll(".case.v-fail table.ev tr").length,
      title: document.getElementById("diagram-title")?.textContent,
      canvasWidth: (document.querySelector("#diagram canvas") as HTMLCanvasElement | null)?.width ?? 0,
    }));
    await page.screenshot({ path: screenshotPath("check-report-charlie.png"), fullPage: false });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(shown.cases).toBeGreaterThanOrEqual(40);
    expect(shown.failing).toEqual(["view-01"]);
    expect(shown.info).toEqual(["disc-06", "live-06", "live-07", "send-06", "rep-07"]);
    expect(shown.selected).toBe("view-01");
    expect(shown.evidenceRows).toBeGreaterThan(0);
    expect(shown.title).toContain("around view-01, its own highlighted");
    expect(shown.canvasWidth).toBeGreaterThan(300);
    // A click on another case highlights its messages instead; the whole run is a click away.
    await page.click("#case-0-live-01");
    expect(await page.textContent("#diagram-title")).toContain("live-01");
    await page.click("#show-all");
    expect(await page.textContent("#diagram-title")).not.toContain("show the whole run");
    await page.close();
  }, POOL_MS);
});
