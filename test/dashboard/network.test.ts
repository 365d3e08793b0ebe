/**
 * The class's network seen from a real fleet (`fleet up` as a subprocess,
 * with --trace): a foreign node outside the fleet, driven from here through
 * the SDK as a student's program would be, says HELLO, sends one malformed
 * PING and answers two PINGs in three. /health, `fleet status --network`,
 * the trace file and the page in Chromium must all show it alive with its
 * wrong message, and the space-time diagram its arrows.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { HealthNetworkNode } from "../../src/fleet/health-types.ts";
import type { WireRecord } from "../../src/runtime/wire-record.ts";
import { botNodes, envelope, fleetFile, FAST_TIMING, queueName, queueUrl, ROOT, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { describeWith } from "../support/outside.ts";
import { CHROMIUM, launchChromium, screenshotPath } from "./browser.ts";

const FOREIGN = "sam";
/** What the malformed PING carries, to be found again in /health and on the page. */
const BAD_SEQ = "not-a-number";

describeWith(CHROMIUM)("the network of a real fleet with a foreign node", () => {
  let fleet: FleetProc;
  let browser: Browser;
  let running = true;
  let answered = 0;
  let ignored = 0;
  let loop: Promise<void>;

  beforeAll(async () => {
    fleet = await startFleetProc(fleetFile(botNodes(), [FAST_TIMING]), { args: ["--trace", "trace.jsonl"] });
    await fleet.createQueue(queueName(FOREIGN));
    await fleet.send("bot-alpha", { ...envelope("HELLO", FOREIGN, "sam-hello"), queue_url: queueUrl(FOREIGN) });
    // written by hand, as a student's code might: a raw line feed and tab between fields (valid JSON whitespace)
    const bad = JSON.stringify({ ...envelope("PING", FOREIGN, "sam-bad"), seq: BAD_SEQ }).replace(',"seq"', ',\n\t"seq"');
    await fleet.send("bot-bravo", bad);
    // the foreign node: answers two PINGs in three with their PONG, ignores the rest
    loop = (async () => {
      let n = 0;
      while (running) {
        const got = await fleet.drain(FOREIGN, 1).catch(() => []);
        for (const m of got) {
          if (m.type !== "PING") continue;
          if (n++ % 3 === 2) {
            ignored += 1;
            continue;
          }
          answered += 1;
          await fleet.send(m.sender, { ...envelope("PONG", FOREIGN, `sam-pong-${n}`), seq: m.seq }).catch(() => undefined);
        }
      }
    })();
    browser = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    running = false;
    await loop;
    await browser?.close();
    await fleet?.stop();
    fleet?.kill();
  }, 20_000);

  const foreignEntry = async (): Promise<HealthNetworkNode | undefined> => (await fleet.health()).network?.find((e) => e.id === FOREIGN);

  test("/health's network: the foreign node alive at every bot, its malformed PING put down to it", async () => {
    const sam = await until("sam alive at the three bots, with a PONG answered", 20_000, async () => {
      const e = await foreignEntry();
      const alive = e && ["bot-alpha", "bot-bravo", "bot-charlie"].every((b) => e.seen_by[b]?.status === "alive");
      return alive && (e.received.PONG ?? 0) > 0 && e.seen_by["bot-alpha"]!.rtt_p50_ms !== null ? e : null;
    });
    expect(sam.fleet).toBe(false);
    expect(sam.rejected).toEqual({ invalid_field: 1 });
    expect(sam.seen_by["bot-bravo"]!.rejected).toEqual({ invalid_field: 1 });
    expect(sam.last_rejection).toMatchObject({ observer: "bot-bravo", reason: "invalid_field" });
    expect(sam.last_rejection!.detail).toStartWith("PING.seq:");
    // the line feed and tab come back escaped, never raw
    expect(sam.last_rejection!.body).toContain(',\\n\\t"seq":"not-a-number"}');
    expect(sam.last_rejection!.body).not.toMatch(/[\n\t]/);
    expect(sam.received.HELLO).toBe(1);

    const health = await fleet.health();
    expect(health.network!.slice(0, 3).map((e) => e.id)).toEqual(["bot-alpha", "bot-bravo", "bot-charlie"]);
    const metrics = await (await fetch(`${fleet.controlUrl}/metrics`)).text();
    expect(metrics).toContain('p2p_sender_rejected_total{node="bot-bravo",sender="sam",reason="invalid_field"} 1');
  }, 30_000);

  test("fleet status --network prints one row per node, fleet nodes first; --json the same data", async () => {
    const port = new URL(fleet.controlUrl).port;
    const run = async (...args: string[]) => {
      const p = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "status", "--network", "--control-port", port, ...args], { cwd: fleet.dir, stdout: "pipe", stderr: "pipe" });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      expect(code).toBe(0);
      return out;
    };
    const table = (await run()).trimEnd().split("\n");
    expect(table[1]).toStartWith("NODE");
    expect(table.slice(2, 5).map((l) => l.split(/\s+/)[0])).toEqual(["bot-alpha", "bot-bravo", "bot-charlie"]);
    const row = table.find((l) => l.startsWith(`${FOREIGN} `))!;
    expect(row).toContain("3/0/0");
    expect(row).toContain("invalid_field x1");
    expect(row).toContain("PING.seq:");
    const json = JSON.parse(await run("--json")) as HealthNetworkNode[];
    expect(json.find((e) => e.id === FOREIGN)?.rejected).toEqual({ invalid_field: 1 });
  }, 30_000);

  test("the trace file holds the foreign node's messages as JSON lines", async () => {
    const records = await until("the foreign node's PONGs in the trace", 10_000, async () => {
      const lines = readFileSync(join(fleet.dir, "trace.jsonl"), "utf8").trimEnd().split("\n");
      const rs = lines.map((l) => JSON.parse(l) as WireRecord);
      return rs.some((r) => r.from === FOREIGN && r.type === "PONG") ? rs : null;
    });
    const fromSam = records.filter((r) => r.from === FOREIGN);
    expect(fromSam.every((r) => r.dir === "in")).toBe(true);
    expect(fromSam.find((r) => r.msgId === "sam-hello")).toMatchObject({ observer: "bot-alpha", to: "bot-alpha", type: "HELLO" });
    // the malformed one: its sender known, its type known, no msg_id (it did not parse)
    expect(fromSam.find((r) => r.observer === "bot-bravo" && r.type === "PING" && r.msgId === "")).toBeDefined();
    const toSam = records.filter((r) => r.to === FOREIGN && r.dir === "out");
    expect(toSam.some((r) => r.type === "PING")).toBe(true);
    expect(toSam.some((r) => r.type === "PEER_LIST")).toBe(true);
  }, 15_000);

  test("the page: Network panel shows it alive with its wrong message; the diagram its arrows", async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1500, height: 1200 } });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    await page.goto(`${fleet.controlUrl}/`);
    const row = `#network tr[data-node="${FOREIGN}"]`;
    await page.waitForSelector(`${row}[data-status="alive"]`, { timeout: 15_000 });
    expect(await page.getAttribute(row, "class")).toContain("outside");
    expect(await page.textContent(`${row} td[data-field="wrong"]`)).toBe("invalid_field ×1");
    // sam answers two PINGs in three, so a bot may see it suspect for a while: wait until all three see it alive.
    const seen = `${row} td[data-field="seen"]`;
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "3 / 0 / 0", seen, { timeout: 15_000 }).catch(() => undefined);
    expect(await page.textContent(seen)).toBe("3 / 0 / 0");
    expect(await page.textContent(`${row} td[data-field="fleet"]`)).toBe("outside");
    await page.click(row);
    expect(await page.textContent('#network-detail [data-field="detail"]')).toStartWith("PING.seq:");
    expect(await page.textContent('#network-detail [data-field="body"]')).toContain('\\n\\t"seq":"not-a-number"');

    // the diagram: a lane for sam, and with the focus on sam only its arrows, paired both ways
    await page.waitForFunction((id) => (document.getElementById("timeline")?.dataset.lanes ?? "").split(",").includes(id), FOREIGN, { timeout: 10_000 });
    expect(Number(await page.getAttribute("#timeline", "data-arrows"))).toBeGreaterThan(0);
    await page.selectOption("#timeline .st-node", FOREIGN);
    const focused = { arrows: Number(await page.getAttribute("#timeline", "data-arrows")), stubs: Number(await page.getAttribute("#timeline", "data-stubs")) };
    // sam's own sends are not recorded (it is not a fleet node): what bots got from it are stubs, what they sent it too
    expect(focused.stubs).toBeGreaterThan(0);
    console.log(
      `network page: live diagram of ${await page.getAttribute("#timeline", "data-records")} records drawn in ${await page.getAttribute("#timeline", "data-render-ms")} ms; ` +
        `sam answered ${answered} PINGs and ignored ${ignored}`,
    );
    await page.locator(".network-panel").screenshot({ path: screenshotPath("network-panel.png") });
    await page.locator(".timeline-panel").screenshot({ path: screenshotPath("network-timeline-sam.png") });
    await page.selectOption("#timeline .st-node", "");
    await page.screenshot({ path: screenshotPath("network-fleet.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 40_000);
});
