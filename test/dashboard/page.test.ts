/**
 * The page in a real browser against a real control server fed by hand-built
 * health readings: 3 nodes with a liar that gets flagged, and 50 nodes for
 * readability. (The test with a running fleet is fleet.test.ts.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { createControlServer, type ControlServer } from "../../src/fleet/control.ts";
import { createDashboard, type Dashboard } from "../../src/fleet/dashboard/index.ts";
import { describeWith } from "../support/outside.ts";
import { BROWSER, launchChromium, screenshotPath } from "./browser.ts";
import { healthOf, type FleetShape } from "./fixtures.ts";

let browser: Browser;

/** A control server whose fleet advances `stepsPerSample` fixture seconds each time health is read. */
async function serve(shape: Omit<FleetShape, "step">, stepsPerRead = 1, sampleMs = 150): Promise<{ server: ControlServer; dashboard: Dashboard; close(): Promise<void> }> {
  let step = 0;
  const getHealth = () => healthOf({ ...shape, step: (step += stepsPerRead) });
  const dashboard = createDashboard({ getHealth, sampleMs });
  const server = createControlServer({ port: 0, getHealth, routes: dashboard.routes });
  return {
    server,
    dashboard,
    async close() {
      dashboard.stop();
      await server.stop();
    },
  };
}

async function open(url: string, width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
  await page.goto(url);
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

describeWith(BROWSER)("the page in a browser", () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("three nodes: cards, graph edges, the liar flagged, chart and audits", async () => {
    const fleet = await serve({ ids: ["bot-alpha", "bot-bravo", "bot-charlie"], liars: ["bot-charlie"] });
    try {
      const page = await open(fleet.server.url, 1400, 1000);
      await page.waitForFunction(() => document.querySelectorAll("#cards .card").length === 3);
      await page.waitForFunction(() => document.getElementById("graph")?.dataset.edgeCount === "6");
      await page.waitForSelector('.card[data-node="bot-charlie"][data-flagged="true"]', { timeout: 15_000 });
      expect(await page.textContent('.card[data-node="bot-charlie"] .flag')).toBe("flagged by bot-alpha, bot-bravo");
      expect(await page.getAttribute('.card[data-node="bot-alpha"]', "data-flagged")).toBe("false");
      expect(await page.getAttribute("#graph", "data-flagged")).toBe("bot-charlie");
      await page.waitForFunction(() => document.querySelectorAll("#audits tr").length > 0);
      expect(await page.getAttribute("#chart", "data-series")).toBe("bot-alpha,bot-bravo,bot-charlie");
      expect(await page.locator(".uplot .u-legend").textContent()).toContain("flag threshold 0.7");
      // rates come from counter deltas: with counters moving, the page shows a rate above zero
      await page.waitForFunction(() => Number.parseFloat(document.querySelector('.card[data-node="bot-alpha"] dd[data-field="in"]')?.textContent ?? "0") > 0);
      // choosing one observer reloads its history: bot-alpha sees only the two others
      await page.selectOption("#observer", "bot-alpha");
      await page.waitForFunction(() => document.getElementById("chart")?.dataset.series === "bot-bravo,bot-charlie");
      expect(await page.textContent("#link")).toBe("live");
      await page.screenshot({ path: screenshotPath("dashboard-3-nodes-fixture.png"), fullPage: true });
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    } finally {
      await fleet.close();
    }
  }, 30_000);

  test("a command node's card says ? for what only its own code knows, as the health table does", async () => {
    const fleet = await serve({ ids: ["bot-alpha", "bot-bravo"], commands: ["sam"] });
    try {
      const page = await open(fleet.server.url, 1400, 1000);
      await page.waitForFunction(() => document.querySelectorAll("#cards .card").length === 3);
      // The built-in nodes' rates move; the command node's stay unknown rather than zero.
      await page.waitForFunction(() => Number.parseFloat(document.querySelector('.card[data-node="bot-alpha"] dd[data-field="in"]')?.textContent ?? "0") > 0);
      const field = (node: string, f: string) => page.textContent(`.card[data-node="${node}"] dd[data-field="${f}"]`);
      for (const f of ["in", "out", "rejected", "rtt p50", "peers"]) expect([f, await field("sam", f)]).toEqual([f, "?"]);
      expect(await field("sam", "state")).toBe("running");
      expect(await page.textContent('.card[data-node="sam"] .persona')).toBe("command");
      expect(await field("bot-alpha", "peers")).toBe("1");
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    } finally {
      await fleet.close();
    }
  }, 30_000);

  test("fifty nodes: cards wrap in a grid, every edge drawn, page stays live", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => (i < 3 ? ["bot-alpha", "bot-bravo", "bot-charlie"][i]! : `node-${String(i).padStart(2, "0")}`));
    // one view every 400 ms: near the real 1 s, and the browser draws 2450 edges without falling behind
    const fleet = await serve({ ids, liars: ["bot-charlie", "node-17"] }, 4, 400);
    try {
      const T=Date.now(); const page = await open(fleet.server.url, 1600, 1100);
      console.log("open", Date.now()-T);
      await page.waitForFunction(() => document.querySelectorAll("#cards .card").length === 50);
      console.log("cards", Date.now()-T);
      await page.waitForFunction(() => document.getElementById("graph")?.dataset.edgeCount === String(50 * 49));
      console.log("edges", Date.now()-T);
      await page.waitForSelector('.card[data-node="node-17"][data-flagged="true"]', { timeout: 15_000 });
      console.log("flag", Date.now()-T);
      const tops = await page.$$eval("#cards .card", (cards) => cards.map((c) => (c as HTMLElement).offsetTop));
      const perRow = tops.filter((t) => t === tops[0]).length;
      expect(perRow).toBeGreaterThan(3);
      expect(perRow).toBeLessThan(50);
      await page.screenshot({ path: screenshotPath("dashboard-50-nodes-fixture.png"), fullPage: true });
      console.log("shot", Date.now()-T);
      console.log(`50 nodes: one view drawn in ${await page.getAttribute("body", "data-render-ms")} ms`);
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    } finally {
      await fleet.close();
    }
  }, 30_000);
});

test("metrics and health sit beside the page on the same control server", async () => {
  const fleet = await serve({ ids: ["a", "b"] });
  try {
    const metrics = await fetch(`${fleet.server.url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    expect(await metrics.text()).toContain('p2p_peers{node="a",status="alive"} 1');
    expect((await fetch(`${fleet.server.url}/health`)).status).toBe(200);
    const js = await fetch(`${fleet.server.url}/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${fleet.server.url}/assets/uplot.css`)).status).toBe(200);
  } finally {
    await fleet.close();
  }
});
