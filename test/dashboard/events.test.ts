import { expect, test } from "bun:test";
import { createControlServer } from "../../src/fleet/control.ts";
import { createDashboard } from "../../src/fleet/dashboard/index.ts";
import type { HistoryReply, View } from "../../src/fleet/dashboard/view-types.ts";
import { healthOf } from "./fixtures.ts";

async function withServer(viewersMax: number, run: (url: string, viewers: () => number) => Promise<void>): Promise<void> {
  let step = 0;
  const getHealth = () => healthOf({ ids: ["a", "b", "c"], liars: ["c"], step: (step += 1) });
  const dashboard = createDashboard({ getHealth, sampleMs: 50, viewersMax });
  const server = createControlServer({ port: 0, getHealth, routes: dashboard.routes });
  try {
    await run(server.url, () => dashboard.viewers);
  } finally {
    dashboard.stop();
    await server.stop();
  }
}

/** Reads `count` view events off an SSE body. */
async function readViews(body: ReadableStream<Uint8Array>, count: number): Promise<View[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const views: View[] = [];
  let buffer = "";
  while (views.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").find((l) => l.startsWith("data: "));
      if (frame.includes("event: view") && data) views.push(JSON.parse(data.slice(6)) as View);
    }
  }
  reader.releaseLock();
  return views;
}

test("/events pushes a view at once and then each new one, and forgets a page that left", async () => {
  await withServer(4, async (url, viewers) => {
    const ac = new AbortController();
    const res = await fetch(`${url}/events`, { signal: ac.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const views = await readViews(res.body!, 3);
    expect(views.map((v) => v.nodes.map((n) => n.id))).toEqual([["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c"]]);
    const times = views.map((v) => v.at_ms);
    expect(times[2]!).toBeGreaterThan(times[0]!);
    expect(viewers()).toBe(1);
    ac.abort();
    for (let i = 0; i < 40 && viewers() > 0; i += 1) await Bun.sleep(50);
    expect(viewers()).toBe(0);
  });
});

test("past viewersMax a page is refused with 503 instead of piling up streams", async () => {
  await withServer(1, async (url) => {
    const ac = new AbortController();
    const first = await fetch(`${url}/events`, { signal: ac.signal });
    expect(first.status).toBe(200);
    const second = await fetch(`${url}/events`);
    expect(second.status).toBe(503);
    ac.abort();
  });
});

test("/history answers one observer's series or the mean over observers", async () => {
  await withServer(1, async (url) => {
    await Bun.sleep(300);
    const one = (await (await fetch(`${url}/history?observer=a`)).json()) as HistoryReply;
    expect(Object.keys(one.series)).toEqual(["b", "c"]);
    expect(one.series.c!.length).toBe(one.t.length);
    expect(one.t.length).toBeGreaterThan(2);
    const mean = (await (await fetch(`${url}/history`)).json()) as HistoryReply;
    expect(Object.keys(mean.series)).toEqual(["a", "b", "c"]);
    // the liar's score only falls, as every observer sees it
    const c = mean.series.c!.filter((v): v is number => v !== null);
    expect(c.at(-1)!).toBeLessThan(c[0]!);
  });
});

test("a viewer that stops reading gets frames skipped, then is closed; one that reads gets every frame", async () => {
  const { createEventHub } = await import("../../src/fleet/dashboard/events.ts");
  const { connect } = await import("node:net");
  // A view of ~64 KiB: a stalled socket's kernel buffers fill within a few hundred frames.
  const base = healthOf({ ids: ["a", "b", "c"], step: 1 });
  const big = (n: number) => ({ ...base, n, pad: "x".repeat(64 * 1024) }) as unknown as View;
  let latest: View | null = null;
  const hub = createEventHub({ subscribersMax: 4, latest: () => latest, bufferedBytesMax: 256 * 1024, stalledFramesMax: 5 });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => hub.response(req) });
  const stalled = connect(server.port!, "127.0.0.1");
  try {
    await new Promise<void>((resolve) => stalled.once("connect", () => resolve()));
    stalled.write(`GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    stalled.pause(); // open, never read again
    const res = await fetch(server.url);
    const reader = res.body!.getReader();
    for (let i = 0; i < 40 && hub.subscribers < 2; i += 1) await Bun.sleep(25);
    expect(hub.subscribers).toBe(2);

    const decoder = new TextDecoder();
    let text = "";
    let lastSeen = -1;
    const framesMax = 2000;
    let n = 0;
    for (; n < framesMax && hub.stats().stalledClosed === 0; n += 1) {
      latest = big(n);
      hub.publish(latest);
      // The reading viewer keeps up: it takes what was published before the next frame.
      while (lastSeen < n) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the reading viewer was closed");
        text += decoder.decode(value, { stream: true });
        for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
          const data = text.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
          text = text.slice(end + 2);
          if (data) lastSeen = (JSON.parse(data.slice(6)) as { n: number }).n;
        }
      }
    }
    expect(hub.stats().stalledClosed).toBe(1);
    expect(hub.stats().framesSkipped).toBe(5);
    expect(hub.subscribers).toBe(1);
    expect(lastSeen).toBe(n - 1);
    reader.cancel().catch(() => {});
  } finally {
    stalled.destroy();
    hub.close();
    await server.stop(true);
  }
});
