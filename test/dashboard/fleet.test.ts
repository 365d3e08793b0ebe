/**
 * The dashboard of a real fleet: `bun src/cli.ts fleet up` as a subprocess
 * with fast timings, its /metrics read strictly as traffic flows, its page in
 * headless Chromium until bot-charlie is shown flagged.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { launchChromium, screenshotPath } from "./browser.ts";
import { parsePrometheusText, seriesKey } from "./prom-text.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BOTS = ["bot-alpha", "bot-bravo", "bot-charlie"];
/** Fast enough that bot-charlie is flagged within seconds: 8 audited reports come after ~3 one-second epochs. */
const FLEET_YAML = `
network: { sqs: local, port: 0 }
seed: dashboard-test
content:
  - { content_id: "show:midnight-run", ad_id: "ad-7" }
  - { content_id: "show:dawn-patrol", ad_id: "ad-3" }
  - { content_id: "movie:last-signal", ad_id: "ad-12" }
timing: { heartbeat: 0.5, gossip: 0.5, views: 0.25, audit: 0.5, epoch: 1, rechoke: 0.5, optimistic: 1 }
control: { port: 0 }
health: { every: 0 }
log_level: info
nodes:
  - { id: bot-alpha, persona: bot-alpha }
  - { id: bot-bravo, persona: bot-bravo }
  - { id: bot-charlie, persona: bot-charlie }
`;
const START_BOUND_MS = 30_000;

let dir: string;
let proc: Subprocess<"ignore", "pipe", "pipe">;
let url: string;
const logTail: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dashboard-fleet-"));
  writeFileSync(join(dir, "fleet.yaml"), FLEET_YAML);
  proc = Bun.spawn(["bun", "src/cli.ts", "fleet", "up", "--file", join(dir, "fleet.yaml"), "--json"], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  url = await controlUrl(proc, START_BOUND_MS);
}, START_BOUND_MS + 5_000);

afterAll(async () => {
  proc?.kill("SIGTERM");
  await Promise.race([proc?.exited, Bun.sleep(10_000)]);
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 15_000);

/** The fleet logs `fleet_up` with its control URL (port 0 picked a free one); everything read is kept for failure messages. */
async function controlUrl(p: typeof proc, boundMs: number): Promise<string> {
  const reader = p.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      logTail.push(line);
      if (logTail.length > 50) logTail.shift();
      try {
        const rec = JSON.parse(line) as { event?: string; control_url?: string };
        if (rec.event === "fleet_up" && rec.control_url) {
          void drain(reader); // keep the pipe flowing so the fleet never blocks on a full stdout
          return rec.control_url;
        }
      } catch {
        // not a JSON log line
      }
    }
  }
  throw new Error(`fleet did not come up; stderr: ${await new Response(p.stderr).text().catch(() => "")}\nlast lines:\n${logTail.join("\n")}`);
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  while (!(await reader.read()).done) {
    // discard
  }
}

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("version=0.0.4");
  return parsePrometheusText(await res.text());
}

const inTotal = (m: ReturnType<typeof parsePrometheusText>, node: string) =>
  [...m.samples].filter(([k]) => k.startsWith("p2p_messages_in_total{") && k.includes(`node="${node}"`)).reduce((s, [, v]) => s + v, 0);

async function until<T>(what: string, boundMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(250);
  }
}

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
