import { describe, expect, test } from "bun:test";
import { PersistedState, STATE_VERSION } from "../../src/core/state.ts";
import { fourNodes, T0 } from "./harness.ts";
import { makeNode, peer, urlOf } from "./helpers.ts";

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
