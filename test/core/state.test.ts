import { describe, expect, test } from "bun:test";
import { PersistedState, STATE_VERSION } from "../../src/core/state.ts";
import { fourNodes, T0 } from "./harness.ts";
import { deliver, makeNode, msg, peer, sendsOf, urlOf } from "./helpers.ts";
import { defaultNodeConfig, LIMITS } from "../../src/core/config.ts";
import { createNode } from "../../src/core/node.ts";
import { createRng } from "../../src/core/rng.ts";
import type { Remembered } from "../../src/core/types.ts";

describe("persisted state", () => {
  test("a restarted node still knows its peers and who is flagged", () => {
    const ex = fourNodes();
    ex.start();
    ex.runUntil(T0 + 12 * 60_000);
    const saved = ex.node("hugo").exportState();
    expect(PersistedState.safeParse(JSON.parse(JSON.stringify(saved))).success).toBe(true);
    expect(saved.flagged).toEqual(["bot-charlie"]);

    const { node } = makeNode("hugo", "node", {}, JSON.parse(JSON.stringify(saved)));
    const snap = node.snapshot(T0);
    expect(snap.peers.map((p) => p.id).sort()).toEqual(["bot-alpha", "bot-bravo", "bot-charlie"]);
    expect(peer(node, "bot-charlie")?.flagged).toBe(true);
    expect(peer(node, "bot-charlie")?.reputation).toEqual(ex.peerOf("hugo", "bot-charlie")!.reputation);
    expect(node.exportState().flagged).toEqual(["bot-charlie"]);
  });

  const base: PersistedState = { version: STATE_VERSION, id: "hugo", peers: [], reputations: [], flagged: [] };
  test.each([
    ["another node's state", { ...base, id: "sam", flagged: ["bot-charlie"] }],
    ["an unknown version", { ...base, version: 99, flagged: ["bot-charlie"] }],
    ["a negative score part", { ...base, reputations: [{ peer: "bot-charlie", agree: -1, disagree: 0, reports: 1 }], flagged: ["bot-charlie"] }],
    ["an id that is not a node id", { ...base, flagged: ["__proto__"] }],
    ["not an object", "flagged: everyone"],
  ] as Array<[string, unknown]>)("%s is ignored: the node starts empty", (_name, state) => {
    const { node } = makeNode("hugo", "node", {}, state as never);
    expect(node.exportState()).toEqual(base);
  });

  test("a saved peer whose URL is no longer allowed is not restored", () => {
    const state = {
      ...base,
      peers: [
        { id: "sam", queueUrl: urlOf("sam"), status: "alive", lastSeenMs: T0, knownSinceMs: T0 },
        { id: "eve", queueUrl: "https://evil.example.com/1/ds2032-node-eve-p2p", status: "alive", lastSeenMs: T0, knownSinceMs: T0 },
      ],
    };
    const { node } = makeNode("hugo", "node", {}, state as never);
    expect(node.snapshot(T0).peers.map((p) => p.id)).toEqual(["sam"]);
  });

  test("after a long stop, silence counts from the restore: a peer saved as dead is pinged at the first heartbeat", () => {
    const hourAgo = T0 - 3_600_000;
    const state = {
      ...base,
      peers: [{ id: "sam", queueUrl: urlOf("sam"), status: "dead", lastSeenMs: hourAgo, knownSinceMs: hourAgo - 60_000 }],
    };
    const { node } = makeNode("hugo", "node", {}, state as never);
    expect(peer(node, "sam")?.status).toBe("alive");
    const beat = node.tick(T0 + 10_000);
    expect(beat.sends.filter((s) => s.message.type === "PING").map((s) => s.to)).toEqual(["sam"]);
    expect(peer(node, "sam")?.status).toBe("alive");
  });
});

describe("dedupe memory across a restart", () => {
  const restarted = (seen: Remembered[]) =>
    createNode(defaultNodeConfig("hugo", "node", { bootstrap: [] }), createRng("test-hugo-again"), T0 + 5_000, undefined, seen);

  test("what a node handled comes out as remembered keys, a message and a vote apart; repeats add none", () => {
    const { node } = makeNode();
    const ping = msg("PING", "sam", { seq: 1 });
    const view = msg("VIEW_EVENT", "sam", { event_id: "ev1", content_id: "show-a", count: 3, ad_id: "ad" });
    const outs = [deliver(node, ping), deliver(node, ping), deliver(node, view)];
    expect(outs.map((o) => (o.remembered ?? []).map((r) => r.table))).toEqual([["message"], [], ["event", "message"]]);
    expect(outs[0]!.remembered![0]!.atMs).toBe(T0);
  });

  test("a restarted node given those keys answers neither a redelivered PING nor counts a vote sent again", () => {
    const { node } = makeNode();
    const ping = msg("PING", "sam", { seq: 1 });
    const view = msg("VIEW_EVENT", "sam", { event_id: "ev1", content_id: "show-a", count: 3, ad_id: "ad" });
    const seen = [deliver(node, ping), deliver(node, view)].flatMap((o) => o.remembered ?? []);
    const again = restarted(JSON.parse(JSON.stringify(seen)));
    again.start(T0 + 5_000);
    // The same message redelivered by SQS, and the same vote in a new message (the peer resent it).
    const outs = [deliver(again, ping, T0 + 5_000), deliver(again, { ...view, msg_id: "resent01" }, T0 + 5_000)];
    expect(outs.flatMap((o) => o.sends)).toEqual([]);
    expect(again.snapshot(T0 + 5_000).counters.duplicates).toBe(2);
    // A fresh node, by contrast, answers the PING.
    expect(sendsOf(deliver(restarted([]), ping, T0 + 5_000), "PONG")).toHaveLength(1);
  });

  test("keys older than the dedupe window are not restored", () => {
    const ping = msg("PING", "sam", { seq: 1 });
    const key: Remembered = { table: "message", key: `sam\u0000${ping.msg_id}`, atMs: T0 + 5_000 - LIMITS.dedupeWindowMs };
    expect(sendsOf(deliver(restarted([key]), ping, T0 + 5_000), "PONG")).toHaveLength(1);
  });
});
