/**
 * The dashboard of a real fleet: `bun src/cli.ts fleet up` as a subprocess
 * with fast timings, its /metrics read strictly as traffic flows, its page in
 * headless Chromium until bot-charlie is shown flagged.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BOTS, botNodes, FAST_TIMING, fleetFile, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { describeWith } from "../support/outside.ts";
import { BROWSER, launchChromium, screenshotPath } from "./browser.ts";
import { parsePrometheusText, seriesKey } from "./prom-text.ts";

const START_BOUND_MS = 30_000;

let fleet: FleetProc;
let url: string;

beforeAll(async () => {
  fleet = await startFleetProc(fleetFile(botNodes(), ["seed: dashboard-test", FAST_TIMING, "log_level: info"]), { debug: false });
  url = fleet.controlUrl;
}, START_BOUND_MS + 5_000);

afterAll(async () => {
  if (!fleet) return;
  if ((await fleet.stop()) === -1) fleet.kill();
  else fleet.sqs.destroy();
  rmSync(fleet.dir, { recursive: true, force: true });
}, 15_000);

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("version=0.0.4");
  return parsePrometheusText(await res.text());
}

const inTotal = (m: ReturnType<typeof parsePrometheusText>, node: string) =>
  [...m.samples].filter(([k]) => k.startsWith("p2p_messages_in_total{") && k.includes(`node="${node}"`)).reduce((s, [, v]) => s + v, 0);

test("/metrics parses as Prometheus text and its counters move as traffic flows", async () => {
  const first = await until("three nodes that see two alive peers each", 20_000, async () => {
    const m = await scrape();
    return BOTS.every((id) => m.samples.get(seriesKey("p2p_peers", { node: id, status: "alive" })) === 2) ? m : null;
  });
  const later = await until("messages received by every node to grow", 10_000, async () => {
    const m = await scrape();
    return BOTS.every((id) => inTotal(m, id) > inTotal(first, id)) ? m : null;
  });
  for (const id of BOTS) {
    const receives = seriesKey("p2p_sqs_requests_total", { node: id, action: "ReceiveMessage" });
    expect(later.samples.get(receives)!).toBeGreaterThan(0);
    expect(later.samples.get(seriesKey("p2p_node_state", { node: id, state: "running" }))).toBe(1);
    expect(later.samples.get(seriesKey("p2p_node_restarts_total", { node: id }))).toBe(0);
    expect(later.samples.get(seriesKey("p2p_messages_in_total", { node: id, type: "PING" }))!).toBeGreaterThan(0);
  }
  expect(later.types.get("p2p_peer_reputation")).toBe("gauge");
}, 35_000);

test("fleet up's JSON line names the dashboard, which answers with the page", async () => {
  // What a fleet under nohup or a service prints: no banner, only this line.
  const up = fleet.logs().find((o) => o.event === "fleet_up")!;
  expect(up.dashboard_url).toBe(`${url}/`);
  expect(String(up.msg)).toEndWith(`, dashboard at ${url}/`);
  const res = await fetch(String(up.dashboard_url));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
});

describeWith(BROWSER)("the page of a running fleet", () => {
  test("the page shows three cards, the graph's edges, and bot-charlie flagged", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(String(err)));
      await page.goto(`${url}/`);
      await page.waitForFunction(() => document.querySelectorAll("#cards .card").length === 3);
      for (const id of BOTS) expect(await page.getAttribute(`.card[data-node="${id}"]`, "data-state")).not.toBeNull();
      await page.waitForFunction(() => document.getElementById("graph")?.dataset.edgeCount === "6", undefined, { timeout: 20_000 });
      await page.waitForSelector('.card[data-node="bot-charlie"][data-flagged="true"]', { timeout: 45_000 });
      expect(await page.textContent('.card[data-node="bot-charlie"] .flag')).toMatch(/^flagged by bot-(alpha|bravo)/);
      expect(await page.getAttribute('.card[data-node="bot-alpha"]', "data-flagged")).toBe("false");
      expect(await page.getAttribute('.card[data-node="bot-bravo"]', "data-flagged")).toBe("false");
      await page.waitForFunction(() => document.querySelectorAll("#audits tr").length > 0);
      // a moment more so the chart shows bot-charlie's fall under the threshold
      await Bun.sleep(3_000);
      await page.screenshot({ path: screenshotPath("dashboard-fleet.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 80_000);
});
