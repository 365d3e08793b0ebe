/**
 * The --html report of a failing node, opened in a real browser: one file
 * that needs nothing else (no request leaves the page), the cases with their
 * evidence, and the space-time diagram with the failing case's messages
 * highlighted. A screenshot goes to test-output/ to be looked at.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { describeWith } from "../support/outside.ts";
import { BROWSER, launchChromium, screenshotPath } from "../dashboard/browser.ts";
import { FAST_FILE, personaCommand, runCheckCli } from "./helpers.ts";

describeWith(BROWSER)("fleet check --html", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-check-html-"));
  const html = join(dir, "report.html");
  const junit = join(dir, "report.xml");
  let browser: Browser;
  let code = -1;

  beforeAll(async () => {
    code = (await runCheckCli(["--run", personaCommand("bot-charlie"), "--file", FAST_FILE, "--html", html, "--junit", junit])).code;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("bot-charlie's report: exit 1, its JUnit failure is view-01 with the requirement", () => {
    expect(code).toBe(1);
    const xml = readFileSync(junit, "utf8");
    const failures = [...xml.matchAll(/<testcase name="([^"]+)"[^>]*>\s*<failure/g)].map((m) => m[1]!.split(" ")[0]);
    expect(failures).toEqual(["view-01"]);
    expect(xml).toContain("requirement: MODEL-4 MUST");
  });

  test("opens offline in Chromium with the cases, the failing case's evidence and the diagram", async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("request", (r) => !r.url().startsWith("file:") && requests.push(r.url()));
    await page.goto(`file://${html}`);
    await page.waitForSelector("#diagram canvas");
    const shown = await page.evaluate(() => ({
      cases: document.querySelectorAll(".case").length,
      failing: [...document.querySelectorAll(".case.v-fail .id")].map((e) => e.textContent),
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
  });
});
