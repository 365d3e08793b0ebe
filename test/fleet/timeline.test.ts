/** The fleet's message timeline: the workers' recorder, the supervisor's ring, the trace file, the page's stream. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTimelineFeed, type TimelineFrame } from "../../src/fleet/dashboard/timeline.ts";
import { openTrace } from "../../src/fleet/trace.ts";
import { createWireRing } from "../../src/fleet/wire-ring.ts";
import { WIRE_BODY_MAX_CHARS, type WireRecord } from "../../src/runtime/wire-record.ts";
import { createWireRecorder } from "../../src/runtime/wire-recorder.ts";
import { ROOT } from "../support/fleet-proc.ts";

const rec = (i: number): WireRecord => ({ atMs: i, observer: "a", dir: "out", from: "a", to: "b", type: "PING", msgId: `m${i}`, size: 2, body: "{}" });

describe("the recorder of one node", () => {
  test("records both directions from the observer's side, bounded per report, the body cut", () => {
    const w = createWireRecorder("hugo", 3);
    w.sent("sam", "PING", "p1", '{"x":"é"}', 10);
    w.received("sam", "PONG", "q1", "x".repeat(WIRE_BODY_MAX_CHARS + 10), 11);
    w.received("?", "?", "", "junk", 12);
    w.sent("sam", "PING", "p2", "{}", 13);
    const { records, dropped } = w.drain();
    expect(dropped).toBe(1);
    expect(records.map((r) => [r.dir, r.from, r.to, r.type, r.msgId, r.observer])).toEqual([
      ["out", "hugo", "sam", "PING", "p1", "hugo"],
      ["in", "sam", "hugo", "PONG", "q1", "hugo"],
      ["in", "?", "hugo", "?", "", "hugo"],
    ]);
    expect(records[0]!.size).toBe(10); // bytes: é is two
    expect(records[1]!.body.length).toBe(WIRE_BODY_MAX_CHARS);
    expect(records[1]!.size).toBe(WIRE_BODY_MAX_CHARS + 10);
    expect(w.drain()).toEqual({ records: [], dropped: 0 });
  });
});

describe("the ring", () => {
  test.each([
    { name: "empty", add: 0, since: -1, want: [] as number[], last: -1 },
    { name: "under its size", add: 3, since: -1, want: [0, 1, 2], last: 2 },
    { name: "since a sequence number", add: 3, since: 0, want: [1, 2], last: 2 },
    { name: "turned over: the oldest are gone", add: 7, since: -1, want: [2, 3, 4, 5, 6], last: 6 },
    { name: "turned over past what was asked", add: 7, since: 0, want: [2, 3, 4, 5, 6], last: 6 },
    { name: "nothing new", add: 7, since: 6, want: [], last: 6 },
  ])("$name", ({ add, since, want, last }) => {
    const ring = createWireRing(5);
    for (let i = 0; i < add; i++) ring.add([rec(i)]);
    const got = ring.since(since);
    expect(got.records.map((r) => r.atMs)).toEqual([...want]);
    expect(got.lastSeq).toBe(last);
    expect(ring.size).toBe(Math.min(add, 5));
  });
});

describe("the trace file", () => {
  test("JSON lines, appended; past its bound it becomes FILE.1 and only filesKept old files stay", () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-"));
    try {
      const path = join(dir, "t.jsonl");
      const lineBytes = JSON.stringify(rec(0)).length + 1;
      const t = openTrace(path, { bytesMax: lineBytes * 3, filesKept: 2 });
      for (let i = 0; i < 10; i++) t.write([rec(i)]);
      t.close();
      const read = (p: string) => readFileSync(p, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as WireRecord).atMs);
      expect(read(path)).toEqual([9]);
      expect(read(`${path}.1`)).toEqual([6, 7, 8]);
      expect(read(`${path}.2`)).toEqual([3, 4, 5]);
      expect(existsSync(`${path}.3`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a file that cannot be written is refused when opened; `fleet up --trace` says so in one line, exit 2", async () => {
    expect(() => openTrace("/nonexistent-dir/t.jsonl")).toThrow();
    const p = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", join(ROOT, "fleet.yaml"), "--trace", "/nonexistent-dir/t.jsonl"], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    expect(code).toBe(2);
    expect(err.trim().split("\n")).toEqual(["--trace /nonexistent-dir/t.jsonl: cannot write there (ENOENT); give a file in a folder that exists and you may write to"]);
  }, 20_000);

  test.each([
    [["--trace-max-mb", "5"], "--trace-max-mb: only with --trace FILE"],
    [["--trace", "t.jsonl", "--trace-max-mb", "0"], "--trace-max-mb: expected megabytes, more than 0"],
  ])("bad flags %p: one line, exit 2", async (args, line) => {
    const p = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", join(ROOT, "fleet.yaml"), ...args], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    expect(code).toBe(2);
    expect(err).toContain(line);
  }, 20_000);
});

/** Reads the server-sent frames of a feed's response as they come. */
function reader(res: Response) {
  const r = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  return async (): Promise<TimelineFrame> => {
    for (;;) {
      const i = buf.indexOf("\n\n");
      if (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        if (data) return JSON.parse(data.slice(6)) as TimelineFrame;
        continue;
      }
      const { value, done } = await r.read();
      if (done) throw new Error("stream ended");
      buf += decoder.decode(value, { stream: true });
    }
  };
}

describe("the page's stream", () => {
  test("the whole ring on connect, then only what is new; a page that connects late gets only what it lacks", async () => {
    const ring = createWireRing(100);
    ring.add([rec(0), rec(1)]);
    const feed = createTimelineFeed({ ring, recordsMax: 100, subscribersMax: 4 });
    const early = reader(feed.response(new Request("http://x/timeline")));
    expect(await early()).toMatchObject({ reset: true, records: [rec(0), rec(1)], recordsMax: 100 });
    ring.add([rec(2)]);
    const late = reader(feed.response(new Request("http://x/timeline")));
    expect((await late()).records.map((r) => r.atMs)).toEqual([0, 1, 2]);
    ring.add([rec(3)]);
    feed.publish();
    expect(await early()).toMatchObject({ reset: false, records: [rec(2), rec(3)] });
    expect(await late()).toMatchObject({ reset: false, records: [rec(3)] });
    feed.close();
  });

  test("a page that stops reading is skipped, then gets the whole ring again; bounded viewers", async () => {
    const ring = createWireRing(10);
    const feed = createTimelineFeed({ ring, recordsMax: 10, subscribersMax: 1, bufferedBytesMax: 1, stalledFramesMax: 100 });
    const page = reader(feed.response(new Request("http://x/timeline")));
    expect(feed.response(new Request("http://x/timeline")).status).toBe(503);
    for (let i = 0; i < 20; i++) {
      ring.add([rec(i)]);
      feed.publish(); // the unread first frame fills its buffer: these are skipped
    }
    expect(await page()).toMatchObject({ reset: true, records: [] }); // the frame of the connect, read late
    // it reads again: the next publish has room and sends the whole ring, not a delta it could not place
    ring.add([rec(20)]);
    feed.publish();
    const frame = await page();
    expect(frame.reset).toBe(true);
    expect(frame.records.map((r) => r.atMs)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    feed.close();
    expect(feed.subscribers).toBe(0);
  });
});
