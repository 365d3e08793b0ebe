import { describe, expect, test } from "bun:test";
import { earnsUnchoke, mayBeOptimistic } from "../../src/core/choke.ts";
import { STATE_VERSION } from "../../src/core/state.ts";
import type { NodeCore, Output, Send } from "../../src/core/types.ts";
import { deliver, eventsOf, introduce, makeNode, msg, peer, sendsOf, T0, tickUntil, urlOf } from "./helpers.ts";

describe("rechoke rule (docs/protocol.md §10)", () => {
  test.each([
    // live, flagged, contributed, newcomer -> earns unchoke, may be optimistic
    [true, false, true, false, true, true],
    [true, false, false, true, true, true],
    [true, false, false, false, false, true],
    [true, true, true, false, false, false],
    [true, true, false, true, false, false],
    [false, false, true, true, false, false],
    [false, false, false, false, false, false],
  ])("live %p flagged %p contributed %p newcomer %p: unchoked %p, optimistic candidate %p", (live, flagged, contributed, newcomer, earns, may) => {
    const f = { live, flagged, contributed, newcomer };
    expect(earnsUnchoke(f)).toBe(earns);
    expect(mayBeOptimistic(f)).toBe(may);
  });
});

const chokeSends = (out: Output): Send[] => out.sends.filter((s) => s.message.type === "CHOKE" || s.message.type === "UNCHOKE");

/**
 * hugo hosts nothing and knows alpha, bravo and charlie; all three keep
 * answering, only alpha contributes. Runs 10 s steps to `untilMs`.
 */
function drive(node: NodeCore, fromMs: number, untilMs: number, contributors = ["bot-alpha"]): Output {
  const all: Output = { sends: [], events: [] };
  for (let t = fromMs; t < untilMs; t += 10_000) {
    for (const id of ["bot-alpha", "bot-bravo", "bot-charlie"]) {
      deliver(node, msg("PING", id, { seq: t }, t + 1), t + 1);
      if (contributors.includes(id)) {
        deliver(node, msg("AUDIT_RESULT", id, { content_id: "c", agreed_count: 1, confidence: 1, voters: [] }, t + 2), t + 2);
      }
    }
    const out = tickUntil(node, t + 10_000);
    all.sends.push(...out.sends);
    all.events.push(...out.events);
  }
  return all;
}

describe("choking", () => {
  function setup() {
    const { node } = makeNode("hugo", "node", { content: [] });
    introduce(node, ["bot-alpha", "bot-bravo", "bot-charlie"]);
    return node;
  }

  test("RECHOKE-2: newcomers are not choked for 6 rechoke intervals", () => {
    const node = setup();
    expect(chokeSends(drive(node, T0, T0 + 50_000))).toEqual([]);
  });

  test("RECHOKE-2, RECHOKE-3: after the grace, non-contributors are choked but one holds the optimistic slot", () => {
    const node = setup();
    drive(node, T0, T0 + 50_000);
    const out = drive(node, T0 + 50_000, T0 + 300_000);
    const sends = chokeSends(out);
    expect(sends.filter((s) => s.to === "bot-alpha")).toEqual([]);
    // Only on change: each peer's CHOKE and UNCHOKE alternate, starting with a CHOKE.
    for (const id of ["bot-bravo", "bot-charlie"]) {
      const types = sends.filter((s) => s.to === id).map((s) => s.message.type);
      types.forEach((t, i) => expect(t).toBe(i % 2 === 0 ? "CHOKE" : "UNCHOKE"));
    }
    // Exactly one of the two non-contributors is unchoked at the end.
    const snap = node.snapshot(T0 + 300_000);
    const unchoked = snap.peers.filter((p) => !p.choked).map((p) => p.id).sort();
    expect(unchoked.length).toBe(2);
    expect(unchoked).toContain("bot-alpha");
    const optimistic = eventsOf(out, "choke_changed").filter((e) => !e.choked);
    expect(optimistic.length).toBeGreaterThan(0);
    expect(optimistic.every((e) => e.optimistic)).toBe(true);
  });

  test("RECHOKE-3: the optimistic peer is chosen anew every optimistic interval, among both candidates", () => {
    const node = setup();
    const out = drive(node, T0, T0 + 1_200_000);
    const picked = new Set(eventsOf(out, "choke_changed").filter((e) => e.optimistic).map((e) => e.peer));
    expect(picked).toEqual(new Set(["bot-bravo", "bot-charlie"]));
  });

  test("a contributor that stops contributing is choked after 6 intervals", () => {
    const node = setup();
    drive(node, T0, T0 + 100_000, ["bot-alpha", "bot-bravo", "bot-charlie"]);
    expect(node.snapshot(T0 + 100_000).peers.every((p) => !p.choked)).toBe(true);
    // bravo and charlie go quiet: both lose their place, and one of them gets the optimistic slot.
    const out = drive(node, T0 + 100_000, T0 + 200_000, ["bot-alpha"]);
    const firstChoke = chokeSends(out).find((s) => s.message.type === "CHOKE");
    expect(Date.parse(firstChoke!.message.timestamp)).toBeGreaterThan(T0 + 150_000);
    expect(["bot-bravo", "bot-charlie"]).toContain(firstChoke!.to);
    const choked = node.snapshot(T0 + 200_000).peers.filter((p) => p.choked).map((p) => p.id);
    expect(choked.length).toBe(1);
  });

  test("RECHOKE-4: a flagged peer is choked even as a newcomer and never unchoked optimistically", () => {
    const { node } = makeNode("hugo", "node", { content: [] }, {
      version: STATE_VERSION,
      id: "hugo",
      peers: [],
      reputations: [{ peer: "bot-charlie", agree: 1, disagree: 9, reports: 10 }],
      flagged: ["bot-charlie"],
    });
    introduce(node, ["bot-alpha", "bot-bravo", "bot-charlie"]);
    const out = drive(node, T0, T0 + 600_000, []);
    const charlie = chokeSends(out).filter((s) => s.to === "bot-charlie").map((s) => s.message.type);
    expect(charlie).toEqual(["CHOKE"]);
    expect(peer(node, "bot-charlie", T0 + 600_000)?.flagged).toBe(true);
  });

  test("RECHOKE-5, PING-2, HELLO-3: choked peers get no VIEW_EVENT, AUDIT_RESULT or gossip, but PONG and PEER_LIST answers go on", () => {
    const { node } = makeNode("bot-alpha", "bot-alpha");
    introduce(node, ["bot-bravo", "bot-charlie", "hugo"]);
    // Only bravo contributes; after the grace the optimistic slot takes one of charlie and hugo.
    const out = drive2(node);
    const choked = node.snapshot(T0 + 200_000).peers.filter((p) => p.choked).map((p) => p.id);
    expect(choked.length).toBe(1);
    const victim = choked[0]!;
    const after = tickUntil(node, T0 + 200_000 + 9_000);
    for (const t of ["VIEW_EVENT", "AUDIT_RESULT", "PEER_LIST"] as const) expect(sendsOf(after, t, victim)).toEqual([]);
    expect(out.sends.length).toBeGreaterThan(0);
    const pong = deliver(node, msg("PING", victim, { seq: 77 }, T0 + 209_500), T0 + 209_500);
    expect(sendsOf(pong, "PONG", victim).map((s) => s.message.type === "PONG" && s.message.seq)).toEqual([77]);
    const list = deliver(node, msg("HELLO", victim, { queue_url: urlOf(victim) }, T0 + 209_600), T0 + 209_600);
    expect(sendsOf(list, "PEER_LIST", victim).length).toBe(1);
  });
});

function drive2(node: NodeCore): Output {
  const all: Output = { sends: [], events: [] };
  for (let t = T0; t < T0 + 200_000; t += 10_000) {
    for (const id of ["bot-bravo", "bot-charlie", "hugo"]) deliver(node, msg("PING", id, { seq: t }, t + 1), t + 1);
    deliver(node, msg("AUDIT_RESULT", "bot-bravo", { content_id: "c", agreed_count: 1, confidence: 1, voters: [] }, t + 2), t + 2);
    const out = tickUntil(node, t + 10_000 - 1);
    all.sends.push(...out.sends);
  }
  return all;
}

describe("CHOKE and UNCHOKE received", () => {
  test("CHOKE-2: note that the peer chokes us, with an event only on change", () => {
    const { node } = makeNode();
    introduce(node, ["bot-alpha"]);
    const a = deliver(node, msg("CHOKE", "bot-alpha", {}));
    const b = deliver(node, msg("CHOKE", "bot-alpha", {}));
    expect(eventsOf(a, "choking_us_changed")).toEqual([{ type: "choking_us_changed", peer: "bot-alpha", choking: true }]);
    expect(eventsOf(b, "choking_us_changed")).toEqual([]);
    expect(peer(node, "bot-alpha")?.chokingUs).toBe(true);
    deliver(node, msg("UNCHOKE", "bot-alpha", {}));
    expect(peer(node, "bot-alpha")?.chokingUs).toBe(false);
  });

  test.each([["CHOKE"], ["UNCHOKE"]] as const)("CHOKE-3: %s from a stranger adds no peer and is dropped as from_unknown_peer", (type) => {
    const { node } = makeNode();
    const out = deliver(node, msg(type, "mallory", {}));
    expect(node.snapshot(T0).peers).toEqual([]);
    expect(out.sends).toEqual([]);
    expect(node.snapshot(T0).counters.dropped.from_unknown_peer).toBe(1);
  });
});
