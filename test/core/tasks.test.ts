import { describe, expect, test } from "bun:test";
import { LIMITS } from "../../src/core/config.ts";
import { createDedupe } from "../../src/core/dedupe.ts";
import { shouldForget, shouldPingDead, statusForSilence } from "../../src/core/failure.ts";
import { joinRetryDelayMs } from "../../src/core/join.ts";
import { alignedAfter, arm, createTimers, dueTasks, nextDeadline, rearm } from "../../src/core/timers.ts";
import { defaultNodeConfig } from "../../src/core/config.ts";
import { createNode } from "../../src/core/node.ts";
import { createRng } from "../../src/core/rng.ts";
import type { Persona } from "../../src/core/types.ts";
import { deliver, eventsOf, introduce, makeNode, msg, peer, sendsOf, T0, tickUntil, urlOf } from "./helpers.ts";

describe("failure detection formulas", () => {
  test.each([
    [0, "alive"],
    [29_999, "alive"],
    [30_000, "suspect"],
    [59_999, "suspect"],
    [60_000, "dead"],
    [3_600_000, "dead"],
  ])("silent %d ms with 10 s heartbeats: %s", (ms, status) => expect(statusForSilence(ms, 10_000)).toBe(status as never));
  test.each([[1, false], [5, false], [6, true], [7, false], [12, true]])("dead beat %d pinged: %p", (n, ping) =>
    expect(shouldPingDead(n)).toBe(ping),
  );
  test.each([[29, false], [30, true]])("dead beat %d forgotten: %p", (n, f) => expect(shouldForget(n)).toBe(f));
});

describe("heartbeat and failure detection", () => {
  test("BEAT-1, PING-3: every known peer gets a PING with a fresh seq", () => {
    const { node } = makeNode();
    introduce(node, ["a", "b", "c"]);
    const seqs = [1, 2, 3].flatMap((i) =>
      sendsOf(node.tick(T0 + i * 10_000), "PING").map((s) => (s.message.type === "PING" ? s.message.seq : -1)),
    );
    expect(seqs.length).toBe(9);
    expect(new Set(seqs).size).toBe(9);
  });

  test("FAIL-2, BEAT-2, FAIL-5: a silent peer is suspect after 3 heartbeats, dead after 6, pinged every 6th, forgotten after 30 dead", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    const statusAt: string[] = [];
    const pingedAt: number[] = [];
    for (let beat = 1; beat <= 40; beat++) {
      const out = node.tick(T0 + beat * 10_000);
      if (sendsOf(out, "PING", "sam").length > 0) pingedAt.push(beat);
      statusAt.push(peer(node, "sam", T0)?.status ?? "gone");
    }
    expect(statusAt.slice(0, 7)).toEqual(["alive", "alive", "suspect", "suspect", "suspect", "dead", "dead"]);
    expect(pingedAt).toEqual([1, 2, 3, 4, 5, 11, 17, 23, 29]);
    expect(statusAt.indexOf("gone")).toBe(34); // beat 35: dead since beat 6, 30 dead beats later
  });

  test("FAIL-1: any message brings a dead peer back to alive", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    tickUntil(node, T0 + 70_000);
    expect(peer(node, "sam")?.status).toBe("dead");
    const out = deliver(node, msg("AUDIT_RESULT", "sam", { content_id: "c", agreed_count: 1, confidence: 1, voters: [] }, T0 + 71_000), T0 + 71_000);
    expect(eventsOf(out, "peer_status")).toEqual([{ type: "peer_status", peer: "sam", from: "dead", to: "alive" }]);
    expect(sendsOf(node.tick(T0 + 80_000), "PING", "sam").length).toBe(1);
  });

  test("FAIL-4: dead peers are not gossiped nor listed", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    tickUntil(node, T0 + 70_000);
    introduce(node, ["phin"], T0 + 70_000);
    const [reply] = sendsOf(deliver(node, msg("HELLO", "bob", { queue_url: urlOf("bob") }, T0 + 70_000), T0 + 70_000), "PEER_LIST");
    expect(reply?.message.type === "PEER_LIST" && reply.message.peers.map((p) => p.node_id)).toEqual(["hugo", "phin"]);
  });

  test("BOUND-3: a full table makes room by forgetting the longest-dead peer", () => {
    const { node } = makeNode();
    for (let b = 0; b < 10; b++) deliver(node, msg("PEER_LIST", `p${b}-0`, { peers: Array.from({ length: 50 }, (_, i) => ({ node_id: `p${b}-${i}` })) }));
    expect(node.snapshot(T0).peers.length).toBe(LIMITS.peersMax);
    tickUntil(node, T0 + 70_000);
    const out = deliver(node, msg("HELLO", "newcomer", { queue_url: urlOf("newcomer") }, T0 + 70_000), T0 + 70_000);
    expect(eventsOf(out, "peer_forgotten").length).toBe(1);
    expect(peer(node, "newcomer")?.status).toBe("alive");
    expect(node.snapshot(T0).peers.length).toBe(LIMITS.peersMax);
  });

  test("WIRE-9: queueMissing counts the peer's silence and sends nothing", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    const out = node.queueMissing("sam", T0 + 1);
    expect(out.sends).toEqual([]);
    expect(node.snapshot(T0).counters.dropped.queue_missing).toBe(1);
  });
});

describe("join", () => {
  test.each([
    [1, 10_000, 30_000],
    [2, 10_000, 60_000],
    [3, 10_000, 60_000],
    [1, 1_000, 3_000],
    [2, 1_000, 6_000],
    [5, 1_000, 48_000],
    [6, 1_000, 60_000],
    [60, 1_000, 60_000],
    [1, 30_000, 90_000],
    [4, 30_000, 90_000],
  ])("retry %d with %d ms heartbeats waits %d ms", (n, hb, ms) => expect(joinRetryDelayMs(n, hb)).toBe(ms));

  test("JOIN-1, JOIN-2: HELLO to each bootstrap node (never itself), again with backoff until a PEER_LIST arrives", () => {
    const { node, start } = makeNode("hugo", "node", { bootstrap: ["bot-alpha", "bot-bravo", "hugo"] });
    expect(sendsOf(start, "HELLO").map((s) => [s.to, s.queueUrl])).toEqual([
      ["bot-alpha", urlOf("bot-alpha")],
      ["bot-bravo", urlOf("bot-bravo")],
    ]);
    expect(start.sends[0]?.message.type === "HELLO" && start.sends[0].message.queue_url).toBe(urlOf("hugo"));
    const helloTimes: number[] = [];
    for (let t = T0 + 1_000; t <= T0 + 300_000; t += 1_000) {
      if (sendsOf(node.tick(t), "HELLO").length > 0) helloTimes.push((t - T0) / 1000);
    }
    expect(helloTimes).toEqual([30, 90, 150, 210, 270]);
    deliver(node, msg("PEER_LIST", "bot-bravo", { peers: [{ node_id: "bot-bravo" }] }, T0 + 300_500), T0 + 300_500);
    expect(sendsOf(tickUntil(node, T0 + 1_000_000), "HELLO")).toEqual([]);
  });

  test("JOIN-4: a node whose only bootstrap is itself does not retry", () => {
    const { node, start } = makeNode("bot-alpha", "bot-alpha", { bootstrap: ["bot-alpha"] });
    expect(start.sends).toEqual([]);
    expect(sendsOf(tickUntil(node, T0 + 300_000), "HELLO")).toEqual([]);
  });
});

describe("gossip", () => {
  test("GOSSIP-1, GOSSIP-2: every 15 s a PEER_LIST goes to 3 random live unchoked peers", () => {
    const { node } = makeNode();
    introduce(node, ["a", "b", "c", "d", "e"]);
    const lists = sendsOf(node.tick(T0 + 15_000), "PEER_LIST");
    expect(lists.length).toBe(3);
    expect(new Set(lists.map((s) => s.to)).size).toBe(3);
    for (const s of lists) {
      if (s.message.type !== "PEER_LIST") continue;
      expect(s.message.peers[0]).toEqual({ node_id: "hugo", queue_url: urlOf("hugo") });
      expect(s.message.peers.map((p) => p.node_id)).not.toContain(s.to);
      expect(s.message.peers.length).toBe(5);
    }
  });

  test("over many rounds every peer is gossiped to", () => {
    const { node } = makeNode();
    introduce(node, ["a", "b", "c", "d", "e"]);
    const to = new Set<string>();
    for (let i = 1; i <= 10; i++) {
      introduce(node, ["a", "b", "c", "d", "e"], T0 + i * 15_000 - 1);
      for (const s of sendsOf(node.tick(T0 + i * 15_000), "PEER_LIST")) to.add(s.to);
    }
    expect(to).toEqual(new Set(["a", "b", "c", "d", "e"]));
  });
});

/** A node started at `atMs` rather than T0. */
function startedAt(id: string, persona: Persona, atMs: number) {
  const node = createNode(defaultNodeConfig(id, persona, { bootstrap: [] }), createRng(`test-${id}`), atMs);
  node.start(atMs);
  return node;
}

describe("timers as data", () => {
  test("the earliest deadline is the next; due tasks come in a fixed order", () => {
    const t = createTimers();
    expect(nextDeadline(t)).toBe(Infinity);
    arm(t, "audit", 300);
    arm(t, "heartbeat", 100);
    arm(t, "gossip", 100);
    expect(nextDeadline(t)).toBe(100);
    expect(dueTasks(t, 100)).toEqual(["heartbeat", "gossip"]);
    expect(dueTasks(t, 1_000)).toEqual(["heartbeat", "gossip", "audit"]);
  });

  test.each([
    ["on time", 100, 10, 100, 110],
    ["a little late", 100, 10, 105, 110],
    ["after a long stall: no burst", 100, 10, 1_000, 1_010],
    ["after a stall ending off the grid: back on it", 100, 10, 1_003, 1_010],
    ["early (a clock step back): the next grid point", 100, 10, 97, 100],
  ])("rearm %s", (_name, last, period, now, next) => {
    const t = createTimers();
    arm(t, "heartbeat", last);
    rearm(t, "heartbeat", period, now);
    expect(t.get("heartbeat")).toBe(next);
  });

  test.each([
    [0, 10_000, 10_000],
    [1, 10_000, 10_000],
    [9_999, 10_000, 10_000],
    [10_000, 10_000, 20_000],
    [T0 + 3_000, 15_000, T0 + 15_000],
    [T0 + 15_000, 15_000, T0 + 30_000],
    [5, 0, 6],
  ])("the grid point after %d with period %d is %d", (now, period, at) => expect(alignedAfter(now, period)).toBe(at));

  test("tasks sit on a grid of their period: a node started off the grid ticks heartbeat, views and rechoke together", () => {
    const node = startedAt("bot-alpha", "bot-alpha", T0 + 3_700);
    introduce(node, ["a", "b"], T0 + 3_700);
    const ticks: number[] = [];
    const pingTicks: number[] = [];
    for (let i = 0; i < 20 && node.nextDeadlineMs() <= T0 + 60_000; i++) {
      const at = node.nextDeadlineMs();
      ticks.push(at - T0);
      const out = node.tick(at);
      if (sendsOf(out, "PING", "a").length) {
        pingTicks.push(at - T0);
        // The same tick carries the peer's VIEW_EVENTs: one batch to its queue.
        expect(sendsOf(out, "VIEW_EVENT", "a").length).toBeGreaterThan(0);
      }
    }
    // 10 s tasks and 30 s ones on multiples of 10 s, gossip on multiples of 15 s: 8 ticks a minute, not 14.
    expect(ticks).toEqual([10_000, 15_000, 20_000, 30_000, 40_000, 45_000, 50_000, 60_000]);
    expect(pingTicks).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  test("two nodes started apart tick at the same instants", () => {
    const a = startedAt("bot-alpha", "bot-alpha", T0 + 1_234);
    const b = startedAt("bot-bravo", "bot-bravo", T0 + 8_765);
    expect(a.nextDeadlineMs()).toBe(b.nextDeadlineMs());
  });

  test("a repeated tick at the same time does nothing", () => {
    const { node } = makeNode("bot-alpha", "bot-alpha");
    introduce(node, ["a", "b", "c"]);
    const at = node.nextDeadlineMs();
    expect(at).toBe(T0 + 10_000);
    expect(node.tick(at).sends.length).toBeGreaterThan(0);
    expect(node.tick(at)).toEqual({ sends: [], events: [] });
    expect(node.nextDeadlineMs()).toBeGreaterThan(at);
    expect(node.tick(at - 5_000)).toEqual({ sends: [], events: [] });
  });
});

describe("dedupe", () => {
  test.each([
    ["repeat inside the window", 1_000, 100, [["k", 0], ["k", 50]], [true, false]],
    ["repeat after the window", 1_000, 100, [["k", 0], ["k", 100]], [true, true]],
    ["count bound evicts the oldest", 2, 1_000, [["a", 0], ["b", 1], ["c", 2], ["a", 3], ["c", 4]], [true, true, true, true, false]],
    ["distinct keys", 10, 1_000, [["a", 0], ["b", 0]], [true, true]],
  ])("%s", (_name, max, windowMs, calls, want) => {
    const d = createDedupe(max as number, windowMs as number);
    expect((calls as Array<[string, number]>).map(([k, t]) => d.firstSeen(k, t))).toEqual(want as boolean[]);
    expect(d.size).toBeLessThanOrEqual(max as number);
  });
});

describe("remembered keys in the output", () => {
  test.each([
    ["by default (a runtime keeps them across restarts)", {}, 1],
    ["left out when asked (the simulator)", { reportRemembered: false }, 0],
  ])("%s", (_name, options, listed) => {
    const node = createNode(defaultNodeConfig("hugo", "node", { bootstrap: [] }), createRng("remembered"), T0, undefined, undefined, options);
    node.start(T0);
    const ping = msg("PING", "sam", { seq: 1 }, T0, "0000abcd");
    const first = node.handle(ping, T0 + 1);
    expect(first.remembered?.length ?? 0).toBe(listed);
    if (listed) expect(first.remembered).toEqual([{ table: "message", key: "sam\u00000000abcd", atMs: T0 + 1 }]);
    // The dedupe itself is the same either way: the repeat is dropped.
    const again = node.handle(ping, T0 + 2);
    expect(again.sends).toEqual([]);
    expect(again.events.map((e) => e.type)).toEqual(["duplicate"]);
  });
});
