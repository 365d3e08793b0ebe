/**
 * The space-time diagram alone, in Chromium, the way the checker's report
 * uses it: one HTML page with the bundled script inline, records handed in.
 * Arrows are found by their color on the canvas, as a reader would.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { spaceTimeBundle } from "../../src/fleet/dashboard/bundle.ts";
import { colorOf } from "../../src/fleet/dashboard/client/spacetime.ts";
import type { WireRecord } from "../../src/runtime/wire-record.ts";
import { describeWith } from "../support/outside.ts";
import { BROWSER, launchChromium, screenshotPath } from "./browser.ts";
import { exchange, timeline } from "./wire-fixtures.ts";

describeWith(BROWSER)("space-time diagram", () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    const bundle = await spaceTimeBundle();
    if (!bundle.ok) throw new Error(bundle.text);
    script = bundle.text;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  interface Opened {
    page: Page;
    errors: string[];
    close(): Promise<void>;
  }

  /** A page holding only the diagram, drawn from `records` with `opts` (highlight as a list of msgIds). */
  async function open(records: WireRecord[], opts: { lanes?: string[]; highlight?: string[]; follow?: boolean } = {}, width = 1000): Promise<Opened> {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    const safe = script.replace(/<\/script/gi, "<\\/script");
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"></head><body><div id="st"></div><script>${safe}</script></body></html>`);
    await page.evaluate(
      ([recs, o]) => {
        const w = globalThis as unknown as { renderSpaceTime: Function; diagram: unknown };
        w.diagram = w.renderSpaceTime(document.getElementById("st"), recs, {
          lanes: o.lanes,
          highlight: o.highlight ? new Set(o.highlight) : undefined,
          follow: o.follow,
        });
      },
      [records, opts] as const,
    );
    return { page, errors, close: () => page.close() };
  }

  const data = (page: Page, key: string) => page.$eval("#st", (el, k) => (el as HTMLElement).dataset[k] ?? "", key);

  /** Where on the page the canvas has exactly `css` (an arrowhead is filled with its type's color), or null. */
  async function pixelOf(page: Page, css: string): Promise<{ x: number; y: number } | null> {
    return page.evaluate((color) => {
      const canvas = document.querySelector("#st canvas") as HTMLCanvasElement;
      const probe = document.createElement("canvas").getContext("2d")!;
      probe.fillStyle = color;
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      const img = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const rect = canvas.getBoundingClientRect();
      const scale = canvas.width / rect.width;
      for (let i = 0; i < img.data.length; i += 4) {
        if (img.data[i] === r && img.data[i + 1] === g && img.data[i + 2] === b && img.data[i + 3] === 255) {
          const px = (i / 4) % canvas.width;
          const py = Math.floor(i / 4 / canvas.width);
          return { x: rect.left + px / scale, y: rect.top + py / scale };
        }
      }
      return null;
    }, css);
  }

  test("pairs out and in into arrows, draws the rest as stubs, lanes in the order given", async () => {
    const lost = exchange("a", "b", "PING", "lost", Date.UTC(2026, 0, 1, 0, 0, 1))[0];
    const foreign = exchange("zed", "a", "HELLO", "f1", Date.UTC(2026, 0, 1, 0, 0, 2))[1];
    const cases: Array<{ name: string; records: WireRecord[]; lanes?: string[]; arrows: string; stubs: string; order: string }> = [
      { name: "one exchange", records: exchange("a", "b", "PING", "m1", 1_000), arrows: "1", stubs: "0", order: "a,b" },
      { name: "a lost send and a foreign receipt", records: [...exchange("a", "b", "PING", "m1", 1_000), lost, foreign], arrows: "1", stubs: "2", order: "a,b,zed" },
      { name: "lanes given", records: exchange("a", "b", "PING", "m1", 1_000), lanes: ["b", "c"], arrows: "1", stubs: "0", order: "b,c,a" },
      // a redelivered message is received twice: two arrows from one send
      { name: "a duplicate receipt", records: (() => { const [o, i] = exchange("a", "b", "PONG", "d", 5_000); return [o, i, { ...i, atMs: i.atMs + 30 }]; })(), arrows: "2", stubs: "0", order: "a,b" },
      { name: "a body naming no sender", records: [{ atMs: 9, observer: "a", dir: "in", from: "?", to: "a", type: "?", msgId: "", size: 3, body: "{x}" }], arrows: "0", stubs: "1", order: "a,?" },
    ];
    for (const c of cases) {
      const o = await open(c.records, { lanes: c.lanes });
      expect([c.name, await data(o.page, "arrows"), await data(o.page, "stubs"), await data(o.page, "lanes")]).toEqual([c.name, c.arrows, c.stubs, c.order]);
      expect(o.errors).toEqual([]);
      await o.close();
    }
  }, 30_000);

  test("click an arrow for its body; a type filter hides its arrows; pause holds updates", async () => {
    const records = [...exchange("bot-alpha", "hugo", "PING", "p1", 1_000), ...exchange("hugo", "bot-alpha", "PONG", "p1r", 1_020)];
    const o = await open(records);
    const at = await pixelOf(o.page, colorOf("PONG"));
    expect(at).not.toBeNull();
    await o.page.mouse.click(at!.x, at!.y);
    expect(await data(o.page, "selected")).toBe("p1r");
    expect(await o.page.textContent("#st .st-detail-head")).toContain("PONG  hugo → bot-alpha");
    expect(JSON.parse((await o.page.textContent("#st .st-detail-body"))!)).toMatchObject({ type: "PONG", msg_id: "p1r" });

    await o.page.click('#st .st-type[data-type="PING"]');
    expect(await data(o.page, "arrows")).toBe("1");
    expect(await pixelOf(o.page, colorOf("PING"))).toBeNull();
    await o.page.click('#st .st-type[data-type="PING"]');
    expect(await data(o.page, "arrows")).toBe("2");

    await o.page.click("#st .st-pause");
    await o.page.evaluate((recs) => (globalThis as unknown as { diagram: { update(r: unknown): void } }).diagram.update(recs), [
      ...records,
      ...exchange("bot-bravo", "hugo", "HELLO", "h1", 1_040),
    ]);
    expect(await data(o.page, "records")).toBe("4");
    expect(await o.page.textContent("#st .st-count")).toContain("6 waiting");
    await o.page.click("#st .st-pause");
    expect(await data(o.page, "records")).toBe("6");
    expect(await data(o.page, "lanes")).toBe("bot-alpha,hugo,bot-bravo");

    await o.page.selectOption("#st .st-node", "bot-bravo");
    expect(await data(o.page, "arrows")).toBe("1");
    expect(await data(o.page, "lanes")).toBe("hugo,bot-bravo");
    expect(o.errors).toEqual([]);
    await o.close();
  }, 30_000);

  test("highlighted messages are drawn emphasised", async () => {
    const records = timeline(20, ["a", "b", "c"]);
    for (const highlight of [undefined, ["m3"]]) {
      const o = await open(records, { highlight, follow: false });
      expect(await pixelOf(o.page, "#facc15")).toEqual(highlight ? expect.anything() : null);
      await o.close();
    }
  }, 30_000);

  test("5,000 records among 8 nodes: drawn, scrolled and filtered; times printed", async () => {
    const nodes = ["bot-alpha", "bot-bravo", "bot-charlie", "hugo", "sam", "ana", "li", "omar"];
    const records = timeline(2_500, nodes);
    const o = await open(records, {}, 1400);
    expect(await data(o.page, "arrows")).toBe("2500");
    const firstMs = Number(await data(o.page, "renderMs"));
    // a fresh update of all 5,000 (what the dashboard does on each new batch), then a scroll through them
    await o.page.evaluate((recs) => (globalThis as unknown as { diagram: { update(r: unknown): void } }).diagram.update(recs), records);
    const updateMs = Number(await data(o.page, "renderMs"));
    const paintMs = await o.page.evaluate(async () => {
      const host = document.getElementById("st")!;
      const scroller = host.querySelector(".st-scroll") as HTMLElement;
      const frames: number[] = [];
      for (let i = 0; i <= 20; i += 1) {
        scroller.scrollTop = (scroller.scrollHeight * i) / 20;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
        frames.push(Number(host.dataset.paintMs));
      }
      return Math.max(...frames);
    });
    await o.page.click('#st .st-type[data-type="PING"]');
    expect(Number(await data(o.page, "arrows"))).toBeLessThan(2500);
    console.log(`space-time diagram, 5,000 records, 8 lanes: first draw ${firstMs} ms, update ${updateMs} ms, slowest scrolled frame ${paintMs} ms`);
    await o.page.click('#st .st-type[data-type="PING"]');
    await o.page.screenshot({ path: screenshotPath("spacetime-5000.png") });
    expect(o.errors).toEqual([]);
    await o.close();
  }, 60_000);

  test("600 lanes, wider than any canvas can be: drawn, scrolled sideways, clicked at the far end", async () => {
    // A class's network on the timeline: bot-alpha answering 600 nodes. At 96 px a lane the content is
    // some 58,000 px wide, past the 32,767 px a canvas can have; the canvas covers the view only.
    const t = Date.UTC(2026, 11, 1, 9, 0, 0);
    const ids = Array.from({ length: 600 }, (_, i) => `s${String(i).padStart(3, "0")}`);
    const records = ids.flatMap((id, i) => exchange("bot-alpha", id, "PEER_LIST", `m${i}`, t + i * 20));
    const o = await open(records, { follow: false }, 1000);
    expect(await data(o.page, "arrows")).toBe("600");
    const sizes = await o.page.evaluate(() => {
      const scroller = document.querySelector("#st .st-scroll") as HTMLElement;
      const canvas = document.querySelector("#st canvas") as HTMLCanvasElement;
      return { canvasCss: canvas.getBoundingClientRect().width, view: scroller.clientWidth, content: scroller.scrollWidth };
    });
    expect(sizes.canvasCss).toBeLessThanOrEqual(sizes.view);
    expect(sizes.content).toBeGreaterThan(32_767);
    expect(await pixelOf(o.page, colorOf("PEER_LIST"))).not.toBeNull();
    // To the last lane and the last rows: its arrowhead is there, and a click on it is that message.
    await o.page.evaluate(async () => {
      const scroller = document.querySelector("#st .st-scroll") as HTMLElement;
      scroller.scrollLeft = scroller.scrollWidth;
      scroller.scrollTop = scroller.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
    });
    const at = await pixelOf(o.page, colorOf("PEER_LIST"));
    expect(at).not.toBeNull();
    await o.page.mouse.click(at!.x, at!.y);
    expect(Number((await data(o.page, "selected")).slice(1))).toBeGreaterThan(550);
    expect(await o.page.textContent("#st .st-detail-head")).toMatch(/^PEER_LIST {2}bot-alpha → s5\d\d/);
    await o.page.screenshot({ path: screenshotPath("spacetime-600-lanes.png") });
    expect(o.errors).toEqual([]);
    await o.close();
  }, 60_000);

  test("a small exchange, for the eye", async () => {
    const t = Date.UTC(2026, 11, 1, 9, 0, 0);
    const records = [
      ...exchange("bot-alpha", "hugo", "PING", "a1", t),
      ...exchange("hugo", "bot-alpha", "PONG", "a1r", t + 40),
      ...exchange("bot-bravo", "hugo", "PEER_LIST", "b1", t + 60, 25),
      exchange("bot-alpha", "student-9", "PING", "lost", t + 100)[0],
      exchange("student-9", "bot-bravo", "HELLO", "s9", t + 130)[1],
      ...exchange("bot-charlie", "bot-alpha", "VIEW_EVENT", "c1", t + 150, 60),
    ];
    const o = await open(records, { highlight: ["c1"] }, 900);
    await o.page.screenshot({ path: screenshotPath("spacetime-small.png") });
    expect(o.errors).toEqual([]);
    await o.close();
  }, 30_000);
});
