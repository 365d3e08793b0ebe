import { expect, test } from "bun:test";
import { buildView, ratePerS } from "../../src/fleet/dashboard/view.ts";
import { FLAG_THRESHOLD } from "../../src/fleet/dashboard/view-types.ts";
import { PEER_CHOKED, PEER_FLAGGED } from "../../src/fleet/dashboard/view-types.ts";
import { healthOf } from "./fixtures.ts";

test.each([
  ["steady", 100, 150, 1000, 50],
  ["over two seconds", 100, 150, 2000, 25],
  ["no time passed", 100, 150, 0, 0],
  ["a restart reset the counter", 900, 30, 1000, 30],
  ["fractions kept to one decimal", 0, 1, 3000, 0.3],
])("ratePerS: %s", (_what, before, after, dtMs, rate) => {
  expect(ratePerS(before, after, dtMs)).toBe(rate);
});

const ids = ["bot-alpha", "bot-bravo", "bot-charlie"];

test("rates come from the counter deltas between two readings", () => {
  const prev = { health: healthOf({ ids, step: 10 }), atMs: 10_000 };
  const cur = { health: healthOf({ ids, step: 12 }), atMs: 12_000 };
  const view = buildView(cur, prev);
  // in per step: PING 2 + PONG 2 + VIEW_EVENT 3 = 7 per second; out: 2 + 2 + 2 = 6
  expect(view.nodes.map((n) => [n.in_per_s, n.out_per_s])).toEqual([[7, 6], [7, 6], [7, 6]]);
  expect(buildView(cur, null).nodes[0]!.in_per_s).toBe(0);
});

test("peers are packed with status code, reputation and flag bits", () => {
  const view = buildView({ health: healthOf({ ids, liars: ["bot-charlie"], step: 20 }), atMs: 1 }, null);
  const alpha = view.nodes[0]!;
  expect(alpha.peers).toEqual([
    ["bot-bravo", 0, 0.9, 0],
    ["bot-charlie", 0, 0.35, PEER_FLAGGED | PEER_CHOKED],
  ]);
  expect(view.flagged).toEqual({ "bot-charlie": ["bot-alpha", "bot-bravo"] });
  expect(view.flag_threshold).toBe(FLAG_THRESHOLD);
});

test("audits and events are merged over the fleet, newest first, bounded", () => {
  const health = healthOf({ ids: ["a", "b", "c", "d", "e"], step: 8 });
  health.nodes[3]!.events.push({ at: new Date(Date.parse(health.at) + 5000).toISOString(), text: "newest" });
  const view = buildView({ health, atMs: 1 }, null, { auditsMax: 3, eventsMax: 2 });
  expect(view.audits).toHaveLength(3);
  expect(view.events.map((e) => [e.node, e.text])).toEqual([["d", "newest"], ["a", "peer b joined"]]);
});
