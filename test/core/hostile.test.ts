import { describe, expect, test } from "bun:test";
import { MESSAGE_TYPES } from "../../src/protocol/index.ts";
import { createRng } from "../../src/core/rng.ts";
import { deliver, introduce, makeNode, msg, peer, T0, tickUntil, urlOf } from "./helpers.ts";

describe("hostile input never throws and pollutes nothing", () => {
  test.each([
    ["__proto__ as content_id", () => msg("VIEW_EVENT", "sam", { event_id: "__proto__", content_id: "__proto__", count: 5, ad_id: "constructor" })],
    ["constructor as sender", () => msg("HELLO", "constructor", { queue_url: urlOf("constructor") })],
    ["constructor in a PEER_LIST", () => msg("PEER_LIST", "sam", { peers: [{ node_id: "constructor" }, { node_id: "prototype" }] })],
    ["toString as a voter", () => msg("AUDIT_RESULT", "tostring", { content_id: "hasOwnProperty", agreed_count: 0, confidence: 0, voters: ["constructor"] })],
  ])("%s", (_name, make) => {
    const { node } = makeNode();
    deliver(node, make());
    tickUntil(node, T0 + 120_000);
    expect(({} as Record<string, unknown>).count).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("content_id");
    expect(typeof ({} as { constructor: unknown }).constructor).toBe("function");
  });

  test("a body with __proto__ keys is parsed without touching prototypes", () => {
    const { node } = makeNode();
    const out = node.receive('{"type":"PING","sender":"sam","timestamp":"2026-11-24T14:00:00Z","msg_id":"1","seq":1,"__proto__":{"polluted":true}}', T0);
    expect(out.sends.length).toBe(1);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  test("5000 random and mutated bodies: no throw, every one handled or rejected", () => {
    const { node } = makeNode("bot-alpha", "bot-alpha");
    introduce(node, ["sam"]);
    const rng = createRng("fuzz");
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
    const values = [null, true, 0, -1, 1.5, 1e308, "", "x".repeat(300), "sam", [], {}, [{ node_id: "a" }], { a: 1 }];
    const keys = ["type", "sender", "timestamp", "msg_id", "seq", "peers", "count", "queue_url", "voters", "confidence", "content_id", "event_id", "__proto__"];
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const m: Record<string, unknown> = {
        type: pick(MESSAGE_TYPES),
        sender: pick(["sam", "bob", "bot-alpha", "constructor"]),
        timestamp: new Date(T0 + rng.int(1_000_000) - 500_000).toISOString(),
        msg_id: rng.hex(8),
        seq: rng.int(10),
        queue_url: urlOf("sam"),
        peers: [{ node_id: "sam" }],
        event_id: rng.hex(4),
        content_id: "c",
        count: rng.int(1000),
        ad_id: "a",
        agreed_count: 3,
        confidence: 0.5,
        voters: [],
      };
      for (let k = rng.int(3); k > 0; k--) m[pick(keys)] = pick(values);
      const body = rng.int(20) === 0 ? JSON.stringify(m).slice(0, rng.int(60)) : JSON.stringify(m);
      const now = T0 + i * 100;
      const out = node.receive(body, now);
      if (out.events.some((e) => e.type === "rejected")) rejected++;
      if (i % 50 === 0) node.tick(now);
    }
    const snap = node.snapshot(T0 + 500_000);
    const handled = Object.values(snap.counters.in).reduce((a, b) => a + b, 0);
    // Every body is handled, rejected, a repeat, or an echo of the node's own id.
    const fromSelf = snap.counters.dropped.from_self ?? 0;
    expect(fromSelf).toBeGreaterThan(0);
    expect(handled + rejected + snap.counters.duplicates + fromSelf).toBe(5000 + 1); // + the introducing HELLO
    expect(rejected).toBeGreaterThan(100);
    expect(snap.peers.length).toBeLessThanOrEqual(500);
  });

  test("a replayed old HELLO from a forgotten peer does not bring back its old state; its reputation is kept", () => {
    const { node } = makeNode("hugo", "node", {}, {
      version: 1,
      id: "hugo",
      peers: [],
      reputations: [{ peer: "bot-charlie", agree: 1, disagree: 9, reports: 10 }],
      flagged: ["bot-charlie"],
    });
    const hello = msg("HELLO", "bot-charlie", { queue_url: urlOf("bot-charlie") });
    deliver(node, hello);
    tickUntil(node, T0 + 400_000);
    expect(peer(node, "bot-charlie")).toBeUndefined(); // forgotten after 6 + 30 silent beats
    // Redelivered inside the dedupe window: ignored.
    deliver(node, hello, T0 + 400_001);
    expect(peer(node, "bot-charlie")).toBeUndefined();
    // After the window it is a HELLO like any: a fresh entry, but the flag stays.
    deliver(node, hello, T0 + 900_000);
    expect(peer(node, "bot-charlie", T0 + 900_000)?.status).toBe("alive");
    expect(peer(node, "bot-charlie", T0 + 900_000)?.flagged).toBe(true);
  });
});
