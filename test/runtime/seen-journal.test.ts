import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Remembered } from "../../src/core/types.ts";
import { writeFileAtomic } from "../../src/runtime/atomic-file.ts";
import { createSeenJournal, readSeenLines, type KeptLine } from "../../src/runtime/seen-journal.ts";

const T0 = Date.UTC(2026, 0, 1);
const WINDOW = 60_000;
const fresh = (perTableMax = 100, appendsMax?: number) => {
  const dir = mkdtempSync(join(tmpdir(), "seen-"));
  const path = join(dir, "hugo.seen");
  return { dir, path, journal: createSeenJournal({ path, windowMs: WINDOW, perTableMax, ...(appendsMax ? { appendsMax } : {}) }) };
};
const m = (key: string, atMs: number): Remembered => ({ table: "message", key, atMs });
const e = (key: string, atMs: number): Remembered => ({ table: "event", key, atMs });
const lineCount = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean).length;

describe("seen journal", () => {
  test("keys appended come back at the next load, oldest first, both tables, with NUL-joined keys intact", () => {
    const { path, journal } = fresh();
    expect(journal.load(T0)).toEqual({ entries: [], replay: [], damaged: 0 });
    journal.append([m("sam\u0000a1", T0 + 1), e("sam\u0000ev1", T0 + 2)], T0 + 2);
    journal.append([m("bob\u0000b1", T0 + 3)], T0 + 3);
    const again = createSeenJournal({ path, windowMs: WINDOW, perTableMax: 100 });
    expect(again.load(T0 + 10)).toEqual({ entries: [m("sam\u0000a1", T0 + 1), e("sam\u0000ev1", T0 + 2), m("bob\u0000b1", T0 + 3)], replay: [], damaged: 0 });
  });

  test.each([
    ["older than the window", [m("old", T0 - WINDOW), m("young", T0 - WINDOW + 1)], ["young"]],
    ["from a clock far ahead", [m("ahead", T0 + 2 * WINDOW), m("now", T0)], ["now"]],
    ["past the bound per table: the newest kept", [m("a", T0 - 3), m("b", T0 - 2), m("c", T0 - 1), e("x", T0 - 3)], ["b", "c", "x"]],
  ])("keys %s are forgotten at load", (_what, entries, keys) => {
    const { path, journal } = fresh(2);
    journal.load(T0 - WINDOW);
    journal.append(entries, T0 - WINDOW);
    const r = createSeenJournal({ path, windowMs: WINDOW, perTableMax: 2 }).load(T0);
    expect(r.entries.map((x) => x.key).sort()).toEqual(keys);
    // The load rewrote the file with what it kept.
    expect(lineCount(path)).toBe(keys.length);
  });

  test.each([
    ["a torn last line (a crash mid-append)", '["m",1767225600001,"sam\\u0000a'],
    ["not JSON", "garbage"],
    ["the wrong shape", '{"m":1}'],
    ["an unknown table", '["x",1767225600001,"k"]'],
  ])("%s is skipped and counted; the other keys still count", (_what, bad) => {
    const { path, journal } = fresh();
    journal.load(T0);
    journal.append([m("good", T0 + 1)], T0 + 1);
    appendFileSync(path, bad + "\n");
    const r = createSeenJournal({ path, windowMs: WINDOW, perTableMax: 100 }).load(T0 + 2);
    expect(r).toEqual({ entries: [m("good", T0 + 1)], replay: [], damaged: 1 });
  });

  test("a message whose replies were noted but never done comes back to be replayed, byte for byte; a done one does not", () => {
    const { path, journal } = fresh();
    journal.load(T0);
    const pong = { queueUrl: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-sam-p2p", body: '{"type":"PONG","msg_id":"p1"}', to: "sam" };
    journal.pending({ key: "sam\u0000a1", atMs: T0 + 1, sends: [pong] });
    journal.pending({ key: "sam\u0000a2", atMs: T0 + 2, sends: [{ ...pong, body: '{"type":"PONG","msg_id":"p2"}' }] });
    journal.append([m("sam\u0000a2", T0 + 3)], T0 + 3);
    const loaded = createSeenJournal({ path, windowMs: WINDOW, perTableMax: 100 }).load(T0 + 10);
    expect(loaded.replay).toEqual([{ key: "sam\u0000a1", atMs: T0 + 1, sends: [pong] }]);
    // Both count as seen: neither is handled again.
    expect(loaded.entries.map((x) => x.key).sort()).toEqual(["sam\u0000a1", "sam\u0000a2"]);
    // The rewrite kept the pending one pending, and only the done one counts as handled.
    expect(readSeenLines(path).map((x) => x.key)).toEqual(["sam\u0000a2"]);
    expect(createSeenJournal({ path, windowMs: WINDOW, perTableMax: 100 }).load(T0 + 11).replay).toHaveLength(1);
  });

  test.each([
    ["a short window", 1],
    ["a long window: the count bound reached at every rewrite", 0],
  ])("the file stays bounded (%s): past appendsMax it is rewritten with the live keys", (_what, windowFactor) => {
    // perTableMax 50, appendsMax 20: at most 2 × 50 live lines and 20 more.
    const dir = mkdtempSync(join(tmpdir(), "seen-"));
    const path = join(dir, "hugo.seen");
    const windowMs = windowFactor === 1 ? 100 : 10 * WINDOW;
    const journal = createSeenJournal({ path, windowMs, perTableMax: 50, appendsMax: 20 });
    journal.load(T0);
    let rewrites = 0;
    let lastLines = 0;
    for (let i = 0; i < 2_000; i++) {
      journal.append([m(`k${i}`, T0 + i), e(`v${i}`, T0 + i)], T0 + i);
      const lines = lineCount(path);
      if (lines < lastLines) rewrites++;
      lastLines = lines;
      expect(lines).toBeLessThanOrEqual(2 * 50 + 22);
    }
    // A rewrite every ~10 appends of 2 lines, not one per append.
    expect(rewrites).toBeGreaterThan(150);
    expect(rewrites).toBeLessThan(200);
    const r = createSeenJournal({ path, windowMs, perTableMax: 50 }).load(T0 + 2_000);
    const keep = windowFactor === 1 ? 100 : 50;
    expect(r.entries.filter((x) => x.table === "message").map((x) => x.key)).toEqual(Array.from({ length: Math.min(keep, 50) }, (_, i) => `k${2_000 - Math.min(keep, 50) + i}`));
  });
});

describe("seen journal: replies and flushes", () => {
  test("a handled message's line names its replies' msg_ids, and keeps them through a rewrite; a line without them still reads", () => {
    const { path, journal } = fresh();
    journal.load(T0);
    journal.append([m("sam\u0000a1", T0 + 1), e("sam\u0000ev1", T0 + 1)], T0 + 1, ["p1", "h2"]);
    appendFileSync(path, JSON.stringify(["m", T0 + 2, "bob\u0000b1"]) + "\n");
    const want: KeptLine[] = [
      { table: "message", key: "sam\u0000a1", atMs: T0 + 1, replies: ["p1", "h2"] },
      { table: "event", key: "sam\u0000ev1", atMs: T0 + 1 },
      { table: "message", key: "bob\u0000b1", atMs: T0 + 2 },
    ];
    expect(readSeenLines(path)).toEqual(want);
    // The load rewrites the file: the replies stay; the core is given keys alone.
    const loaded = createSeenJournal({ path, windowMs: WINDOW, perTableMax: 100 }).load(T0 + 3);
    expect(loaded.entries).toEqual([m("sam\u0000a1", T0 + 1), e("sam\u0000ev1", T0 + 1), m("bob\u0000b1", T0 + 2)]);
    expect(Object.keys(loaded.entries[0]!)).toEqual(["table", "key", "atMs"]);
    expect(readSeenLines(path)).toEqual(want);
  });

  test("flush reaches the disk only for outbox notes written since the last one, and batches waiting together share one", async () => {
    const { journal } = fresh();
    journal.load(T0);
    const note = (key: string) => journal.pending({ key, atMs: T0 + 2, sends: [{ queueUrl: "q", body: "{}" }] });
    expect(await journal.flush()).toBeNull();
    journal.append([m("k1", T0 + 1)], T0 + 1, []);
    expect(await journal.flush()).toBeNull();
    expect(journal.syncStats().syncs).toBe(0);
    note("k2");
    // Two batches waiting for the same notes: one flush.
    const [a, b] = await Promise.all([journal.flush(), journal.flush()]);
    expect([a, b, journal.syncStats().syncs]).toEqual([null, null, 1]);
    // A note during a flush waits for the next one, which covers every note written meanwhile.
    note("k3");
    const first = journal.flush();
    note("k4");
    const second = journal.flush();
    note("k5");
    const third = journal.flush();
    await Promise.all([first, second, third]);
    expect(journal.syncStats().syncs).toBe(3);
    expect(await journal.flush()).toBeNull();
    expect(journal.syncStats().syncs).toBe(3);
  });

  test("a flush that fails resolves with the file system's error", async () => {
    const { dir, journal } = fresh();
    journal.load(T0);
    journal.pending({ key: "k", atMs: T0, sends: [] });
    rmSync(dir, { recursive: true, force: true });
    expect((await journal.flush()) as NodeJS.ErrnoException).toMatchObject({ code: "ENOENT" });
  });
});

describe("atomic file write", () => {
  test("a write that fails leaves the old file whole and no temp file behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "atomic-"));
    writeFileAtomic(join(dir, "a.json"), "old");
    // A directory where the file should go: the rename fails after the temp file was written.
    mkdirSync(join(dir, "b.json"));
    writeFileSync(join(dir, "b.json", "x"), "");
    expect(() => writeFileAtomic(join(dir, "b.json"), "new")).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["a.json", "b.json"]);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe("old");
  });
});
