import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS, personaAccuracy } from "../../src/core/config.ts";
import { createRng } from "../../src/core/rng.ts";
import { PERSONAS } from "../../src/core/types.ts";
import { epochOf, isViewTimely, reportedCount, trueCount } from "../../src/core/views.ts";
import { deliver, introduce, makeNode, msg, sendsOf, T0, tickUntil } from "./helpers.ts";

const VECTORS = join(import.meta.dir, "..", "..", "..", "shared", "vectors");
const model = JSON.parse(readFileSync(join(VECTORS, "view-model.json"), "utf8")) as {
  cases: Array<{ seed: string; content_id: string; epoch: number; count: number }>;
};

describe("MODEL-1, MODEL-2: view model (docs/protocol.md §7)", () => {
  test("the vector file has cases", () => expect(model.cases.length).toBeGreaterThan(10));
  test.each(model.cases.map((c) => [c.seed, c.content_id, c.epoch, c.count]))(
    "%s %s epoch %d is %d",
    (seed, content, epoch, count) => {
      expect(trueCount(seed as string, content as string, epoch as number)).toBe(count as number);
    },
  );

  test.each([
    [0, 30_000, 0],
    [29_999, 30_000, 0],
    [30_000, 30_000, 1],
    [T0, 30_000, T0 / 30_000],
    [1_770_000_000_123, 30_000, 59_000_000],
    [1_770_000_000_000, 60_000, 29_500_000],
  ])("epochOf(%d, %d) = %d", (ms, epochMs, epoch) => expect(epochOf(ms, epochMs)).toBe(epoch));

  test.each(PERSONAS.map((p) => [p, p === "bot-charlie" ? 0.5 : 1]))("persona %s reports with accuracy %d", (p, a) =>
    expect(personaAccuracy(p as never)).toBe(a as number),
  );
});

describe("reported counts", () => {
  const draws = (accuracy: number, n = 4000) => {
    const rng = createRng(`acc-${accuracy}`);
    return Array.from({ length: n }, (_, i) => {
      const truth = 100 + (i % 900);
      return { truth, said: reportedCount(rng, truth, accuracy) };
    });
  };

  test("MODEL-4: accuracy 1 always tells the truth", () => {
    expect(draws(1).every((d) => d.said === d.truth)).toBe(true);
  });

  test("MODEL-5: accuracy 0 never does, and stays within truth × [0.5, 1.5]", () => {
    for (const d of draws(0)) {
      expect(d.said).not.toBe(d.truth);
      expect(d.said).toBeGreaterThanOrEqual(Math.floor(d.truth * 0.5));
      expect(d.said).toBeLessThanOrEqual(Math.ceil(d.truth * 1.5));
      expect(Number.isInteger(d.said)).toBe(true);
    }
  });

  test.each([[0.5], [0.8], [0.2]])("accuracy %d tells the truth that share of the time", (a) => {
    const share = draws(a).filter((d) => d.said === d.truth).length / 4000;
    expect(Math.abs(share - a)).toBeLessThan(0.03);
  });

  test("a truth of 0 is never reported as 0 by a liar", () => {
    const rng = createRng("zero");
    for (let i = 0; i < 200; i++) expect(reportedCount(rng, 0, 0)).toBeGreaterThan(0);
  });
});

describe("stale VIEW_EVENTs", () => {
  const E = 30_000;
  const now = T0 + 10 * E + 5_000;
  test.each([
    ["now", now, true],
    ["this epoch's start", T0 + 10 * E, true],
    ["4 epochs back", T0 + 6 * E, true],
    ["5 epochs back", T0 + 6 * E - 1, false],
    ["an hour back", now - 3_600_000, false],
    ["a minute ahead", now + 60_000, true],
    ["just over a minute ahead", now + 60_001, false],
    ["a day ahead", now + 86_400_000, false],
  ])("%s: timely %p", (_name, ts, ok) => expect(isViewTimely(ts as number, now, E)).toBe(ok as boolean));
});

describe("publish views task", () => {
  test("PUB-1, PUB-2: each hosted item goes to every unchoked live peer with the true count for an honest node", () => {
    const { node } = makeNode("bot-alpha", "bot-alpha");
    introduce(node, ["bot-bravo", "hugo"]);
    const out = tickUntil(node, T0 + 10_000);
    const views = sendsOf(out, "VIEW_EVENT");
    expect(views.length).toBe(3 * 2);
    for (const s of views) {
      if (s.message.type !== "VIEW_EVENT") continue;
      expect(s.message.count).toBe(trueCount("ds2032", s.message.content_id, epochOf(T0 + 10_000, 30_000)));
    }
    expect(new Set(views.map((s) => s.to))).toEqual(new Set(["bot-bravo", "hugo"]));
  });

  test("a node hosting nothing publishes nothing", () => {
    const { node } = makeNode("hugo", "node", { content: [] });
    introduce(node, ["bot-alpha"]);
    expect(sendsOf(tickUntil(node, T0 + 60_000), "VIEW_EVENT")).toEqual([]);
  });

  test("PERSONA-2: bot-charlie lies about half of the time, once per (content, epoch): every report of an epoch says the same", () => {
    const { node } = makeNode("bot-charlie", "bot-charlie");
    const views = [];
    for (let t = T0; t < T0 + 1_200_000; t += 10_000) {
      // bot-alpha keeps speaking, so it stays live and served.
      deliver(node, msg("AUDIT_RESULT", "bot-alpha", { content_id: "x", agreed_count: 1, confidence: 1, voters: [] }, t), t);
      views.push(...sendsOf(tickUntil(node, t + 9_999), "VIEW_EVENT"));
    }
    const said = new Map<string, Set<number>>();
    for (const s of views) {
      if (s.message.type !== "VIEW_EVENT") continue;
      const k = `${s.message.content_id}@${epochOf(Date.parse(s.message.timestamp), 30_000)}`;
      said.set(k, (said.get(k) ?? new Set()).add(s.message.count));
    }
    // 3 items, 40 epochs, 3 reports in each.
    expect(views.length).toBeGreaterThan(300);
    expect(said.size).toBe(120);
    expect([...said.values()].filter((counts) => counts.size !== 1)).toEqual([]);
    const right = [...said].filter(([k, counts]) => {
      const [content, epoch] = k.split("@");
      return [...counts][0] === trueCount("ds2032", content!, Number(epoch));
    }).length;
    expect(right / said.size).toBeGreaterThan(0.35);
    expect(right / said.size).toBeLessThan(0.65);
  });
});

describe("the report table's bounds (reports_table_full)", () => {
  const view = (sender: string, content_id: string, n: number, nowMs = T0) =>
    msg("VIEW_EVENT", sender, { event_id: `${sender}-${content_id}-${n}`, content_id, count: 1, ad_id: "ad" }, nowMs);
  const droppedFull = (node: ReturnType<typeof makeNode>["node"], nowMs = T0) => node.snapshot(nowMs).counters.dropped.reports_table_full ?? 0;

  test(`past ${LIMITS.reportKeysMax} (content, epoch) keys a report of a new key is dropped and said; known keys still take reports`, () => {
    const { node } = makeNode("hugo", "node", { content: [] });
    introduce(node, ["bot-bravo", "bot-charlie"]);
    for (let i = 0; i < LIMITS.reportKeysMax; i++) node.handle(view("bot-bravo", `show:${i}`, i), T0);
    expect(droppedFull(node)).toBe(0);

    const out = node.handle(view("bot-bravo", "show:one-too-many", 0), T0);
    expect(out.events).toContainEqual({ type: "dropped", what: "reports_table_full", count: 1, peer: "bot-bravo" });
    expect(droppedFull(node)).toBe(1);
    // Another reporter of a key already kept is not a new key.
    expect(node.handle(view("bot-charlie", "show:0", 0), T0).events).toEqual([]);
    expect(droppedFull(node)).toBe(1);
  });

  test(`past ${LIMITS.reportsMax} reports in all a new reporter is dropped, even for a known key`, () => {
    const { node } = makeNode("hugo", "node", { content: [] });
    const reporters = Array.from({ length: 250 }, (_, i) => `peer-${i}`);
    introduce(node, [...reporters, "late"]);
    const keys = LIMITS.reportsMax / reporters.length;
    expect(keys).toBeLessThan(LIMITS.reportKeysMax);
    for (let k = 0; k < keys; k++) for (const r of reporters) node.handle(view(r, `show:${k}`, k), T0);
    expect(droppedFull(node)).toBe(0);

    const out = node.handle(view("late", "show:0", 0), T0);
    expect(out.events).toContainEqual({ type: "dropped", what: "reports_table_full", count: 1, peer: "late" });
    expect(droppedFull(node)).toBe(1);
  });

  test("epochs too old to audit are pruned, and the table takes reports again", () => {
    const { node } = makeNode("hugo", "node", { content: [] });
    introduce(node, ["bot-bravo"]);
    for (let i = 0; i < LIMITS.reportKeysMax; i++) node.handle(view("bot-bravo", `show:${i}`, i), T0);
    node.handle(view("bot-bravo", "show:new", 0), T0);
    expect(droppedFull(node)).toBe(1);
    // Keep bot-bravo alive while the old epochs age out.
    const later = T0 + (LIMITS.viewPastEpochsMax + 2) * 30_000;
    for (let t = T0 + 5_000; t <= later; t += 5_000) {
      node.handle(msg("PING", "bot-bravo", { seq: t }, t), t);
      tickUntil(node, t);
    }
    const out = node.handle(view("bot-bravo", "show:new", 1, later), later);
    expect(out.events.filter((e) => e.type === "dropped")).toEqual([]);
    expect(droppedFull(node, later)).toBe(1);
  });
});
