import { expect, test } from "bun:test";
import { ReputationHistory } from "../../src/fleet/dashboard/history.ts";
import { MEAN_OBSERVER } from "../../src/fleet/dashboard/view-types.ts";

const s = (observer: string, peer: string, reputation: number) => ({ observer, peer, reputation });

test("a reply is aligned on the sample times, oldest first, with null where the peer was unknown", () => {
  const h = new ReputationHistory({ samplesMax: 10, pairsMax: 10 });
  h.record(1000, [s("a", "b", 0.5)]);
  h.record(2000, [s("a", "b", 0.6), s("a", "c", 0.4)]);
  h.record(3000, [s("a", "c", 0.3)]);
  expect(h.reply("a")).toEqual({ observer: "a", t: [1, 2, 3], series: { b: [0.5, 0.6, null], c: [null, 0.4, 0.3] } });
});

test.each([
  ["under the bound", 3, [1, 2, 3]],
  ["at the bound", 4, [1, 2, 3, 4]],
  ["past the bound the oldest go", 9, [6, 7, 8, 9]],
])("the ring keeps at most samplesMax samples: %s", (_what, count, times) => {
  const h = new ReputationHistory({ samplesMax: 4, pairsMax: 10 });
  for (let i = 1; i <= count; i += 1) h.record(i * 1000, [s("a", "b", i / 10)]);
  const reply = h.reply("a");
  expect(reply.t).toEqual(times);
  expect(reply.series.b).toEqual(times.map((i) => Math.round((i / 10) * 1000) / 1000));
});

test("pairs past pairsMax are refused and counted; a pair silent for a whole window makes room", () => {
  const h = new ReputationHistory({ samplesMax: 3, pairsMax: 2 });
  h.record(1000, [s("a", "b", 1), s("a", "c", 1), s("a", "d", 1)]);
  expect(h.size.pairs).toBe(2);
  expect(h.pairsDropped).toBe(1);
  for (let i = 2; i <= 4; i += 1) h.record(i * 1000, [s("a", "b", 1)]);
  h.record(5000, [s("a", "b", 1), s("a", "d", 0.2)]);
  expect(Object.keys(h.reply("a").series)).toEqual(["b", "d"]);
  expect(h.pairsDropped).toBe(1);
});

test("the mean observer averages every observer's view of each peer", () => {
  const h = new ReputationHistory({ samplesMax: 5, pairsMax: 10 });
  h.record(1000, [s("a", "c", 0.4), s("b", "c", 0.6), s("a", "b", 0.9)]);
  h.record(2000, [s("a", "c", 0.2)]);
  expect(h.reply(MEAN_OBSERVER).series).toEqual({ b: [0.9, null], c: [0.5, 0.2] });
  expect(h.observers()).toEqual(["a", "b"]);
});

test("an unknown observer gets the times and no series", () => {
  const h = new ReputationHistory({ samplesMax: 5, pairsMax: 10 });
  h.record(1000, [s("a", "b", 0.5)]);
  expect(h.reply("zed")).toEqual({ observer: "zed", t: [1], series: {} });
});
