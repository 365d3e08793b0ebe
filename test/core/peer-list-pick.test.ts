import { describe, expect, test } from "bun:test";
import { queueName } from "../../src/protocol/index.ts";
import { DEFAULT_NETWORK } from "../../src/core/settings.ts";
import { PICK_FROM_SLOTS_MIN } from "../../src/core/gossip.ts";
import type { NodeCore } from "../../src/core/types.ts";
import { deliver, makeNode, msg, T0, urlOf } from "./helpers.ts";

/*
 * A table past PICK_FROM_SLOTS_MIN answers each HELLO from per-slot arrays
 * (liveness, entries) kept beside the peers. These cases change what those
 * arrays mirror (a URL, a status, a forgotten peer whose slot is refilled)
 * and hold every PEER_LIST to the peers table as the snapshot shows it.
 */
const HB = 10_000;
const NET = { ...DEFAULT_NETWORK, localPort: 9324 };
const localUrl = (id: string) => `http://sqs.${NET.region}.localhost:9324/${NET.account}/${queueName(NET.prefix, id)}`;
const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

let asked = 0;
/** The PEER_LIST `node` answers a newcomer's HELLO with, checked against its own table. */
function listHolds(node: NodeCore, nowMs: number): number {
  const asker = `asker${++asked}`;
  const out = deliver(node, msg("HELLO", asker, { queue_url: urlOf(asker) }, nowMs), nowMs);
  const list = out.sends.find((s) => s.to === asker && s.message.type === "PEER_LIST")!.message;
  if (list.type !== "PEER_LIST") throw new Error("no PEER_LIST");
  const table = new Map(node.snapshot(nowMs).peers.map((p) => [p.id, p]));
  const [self, ...rest] = list.peers;
  expect(self!.node_id).toBe("hub");
  expect(new Set(rest.map((e) => e.node_id)).size).toBe(rest.length);
  for (const e of rest) expect(e.node_id).not.toBe(asker);
  // News (entries with a status: rumours of suspicion or death) come first; the rest is the sample.
  const sample = rest.filter((e) => e.status === undefined);
  for (const e of sample) {
    const p = table.get(e.node_id);
    expect([e.node_id, p?.status === "alive" || p?.status === "suspect", e.queue_url]).toEqual([e.node_id, true, p!.queueUrl]);
  }
  for (const e of sample) listed.add(e.node_id);
  return rest.length;
}
/** Every peer a sample named since last cleared: over enough lists, each live peer comes up. */
const listed = new Set<string>();

describe("PEER_LIST picks in a large table", () => {
  test("follow URL changes, deaths, forgetting and refilled slots", () => {
    const { node } = makeNode("hub", "node", { network: NET });
    const talkers = ids(150, "a");
    const quiet = ids(150, "q");
    for (const id of [...talkers, ...quiet]) deliver(node, msg("HELLO", id, { queue_url: urlOf(id) }), T0);
    expect(node.snapshot(T0).peers.length).toBeGreaterThan(PICK_FROM_SLOTS_MIN);
    expect(listHolds(node, T0)).toBe(49);

    // A third of the talkers announce the embedded SQS's own URL instead.
    for (const id of talkers.slice(0, 50)) deliver(node, msg("HELLO", id, { queue_url: localUrl(id) }, T0 + 1), T0 + 1);
    expect(node.snapshot(T0 + 1).peers.filter((p) => p.queueUrl.startsWith("http://")).length).toBe(50);
    for (let i = 0; i < 5; i++) listHolds(node, T0 + 2);

    // The quiet half turns dead while the talkers keep sending. Once the first are dead, newcomers join (the
    // last slots) and talk too; forgetting the dead then moves them into the freed slots.
    let t = T0;
    const newcomers = ids(120, "n");
    const seen = { dead: false, forgotten: false };
    let joined = false;
    for (let beat = 1; beat <= 120 && !seen.forgotten; beat++) {
      t = T0 + beat * HB;
      for (const id of joined ? [...talkers, ...newcomers] : talkers) deliver(node, msg("PING", id, { seq: beat }, t - 1), t - 1);
      node.tick(t);
      const peers = node.snapshot(t).peers;
      if (peers.some((p) => p.status === "dead")) {
        seen.dead = true;
        expect(listHolds(node, t)).toBe(49);
        if (!joined) for (const id of newcomers) deliver(node, msg("HELLO", id, { queue_url: urlOf(id) }, t + 1), t + 1);
        joined = true;
      }
      if (!peers.some((p) => p.id.startsWith("q"))) seen.forgotten = true;
    }
    expect(seen).toEqual({ dead: true, forgotten: true });
    const table = node.snapshot(t + 1).peers;
    expect(table.length).toBeGreaterThan(PICK_FROM_SLOTS_MIN);
    expect(table.filter((p) => p.status === "alive").map((p) => p.id)).toEqual(expect.arrayContaining([...talkers, ...newcomers]));

    listed.clear();
    for (let i = 0; i < 80; i++) expect(listHolds(node, t + 2)).toBe(49);
    // None is left out for good: a peer moved into a freed slot is drawn like the others.
    expect([...talkers, ...newcomers].filter((id) => !listed.has(id))).toEqual([]);
  });
});
