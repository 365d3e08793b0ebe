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
