import { describe, expect, test } from "bun:test";
import { DEFAULT_SCALE_BOUNDS, ScaleBounds } from "../../src/core/settings.ts";
import { pairRank } from "../../src/core/partners.ts";
import { silenceMs } from "../../src/core/probe.ts";
import { supersedes } from "../../src/core/rumours.ts";
import type { NodeCore, Output } from "../../src/core/types.ts";
import { deliver, eventsOf, introduce, makeNode, msg, peer, sendsOf, T0, urlOf } from "./helpers.ts";

const HB = 10_000;
const ids = (n: number, prefix = "p") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The heartbeat of one tick at `t`, every peer answering each PING it gets at once: liveness only. */
function beat(node: NodeCore, t: number, answer: (to: string) => boolean = () => true): Output {
  const out = node.tick(t);
  for (const s of sendsOf(out, "PING")) {
    if (s.message.type === "PING" && answer(s.to)) deliver(node, msg("PONG", s.to, { seq: s.message.seq }, t + 100), t + 100);
  }
  return out;
}

describe("bounds", () => {
  test("defaults come from the schema; a wrong value is refused by it", () => {
    expect(DEFAULT_SCALE_BOUNDS).toEqual({
      probes_per_beat: 12,
      urgent_per_beat: 6,
      partners: 12,
      rumours: 64,
      rumour_sends: 9,
      rumours_per_list: 16,
      rumour_keep_beats: 30,
    });
    expect(ScaleBounds.safeParse({ probes_per_beat: 0 }).success).toBe(false);
    expect(ScaleBounds.safeParse({ partnerz: 3 }).success).toBe(false);
  });
});

describe("pair rank", () => {
  test.each([
    ["hugo", "sam"],
    ["bot-alpha", "bot-bravo"],
    ["a", "ab"],
    ["node-001", "node-002"],
  ])("%s and %s rank each other alike", (a, b) => expect(pairRank(a, b)).toBe(pairRank(b, a)));

  test("ids joined differently do not collide", () => expect(pairRank("ab", "c")).not.toBe(pairRank("a", "bc")));
});

describe("silence", () => {
  test.each([
    // lastSeen, awaitingSince, now, silence
    [0, null, 100_000, 0], // not asked since it spoke: not silent
    [0, 5_000, 35_000, 35_000], // asked within a heartbeat of its last message: counted from that message
    [0, 200_000, 230_000, 40_000], // asked long after: counted from a heartbeat before the PING
  ] as const)("last seen %d, awaiting since %p, at %d: %d ms", (lastSeenMs, awaitingSinceMs, nowMs, want) =>
    expect(silenceMs({ lastSeenMs, awaitingSinceMs }, nowMs, HB)).toBe(want),
  );
});

describe("probing", () => {
  test("11 peers, a class of a dozen: every heartbeat PINGs all of them", () => {
    const { node } = makeNode();
    introduce(node, ids(11));
    for (let t = T0 + HB; t <= T0 + 5 * HB; t += HB) expect(sendsOf(beat(node, t), "PING").length).toBe(11);
  });

  test("40 peers: 12 PINGs a heartbeat, and each peer PINGed within two rounds", () => {
    const { node } = makeNode();
    introduce(node, ids(40));
    const pinged = new Map<string, number>();
    const rounds = 2 * Math.ceil(40 / (DEFAULT_SCALE_BOUNDS.probes_per_beat - 0));
    for (let i = 1; i <= rounds; i++) {
      const out = beat(node, T0 + i * HB);
      const pings = sendsOf(out, "PING");
      expect(pings.length).toBe(DEFAULT_SCALE_BOUNDS.probes_per_beat);
      expect(new Set(pings.map((s) => s.to)).size).toBe(pings.length);
      for (const s of pings) pinged.set(s.to, (pinged.get(s.to) ?? 0) + 1);
    }
    expect([...pinged.keys()].sort()).toEqual(ids(40).sort());
  });

  test("a peer that answers only PINGs stays alive among 100 for 200 heartbeats; one that stops is found dead", () => {
    const { node } = makeNode();
    introduce(node, ids(100));
    const changes: string[] = [];
    for (let i = 1; i <= 200; i++) {
      const out = beat(node, T0 + i * HB, (to) => to !== "p7" || i < 100);
      for (const e of eventsOf(out, "peer_status")) changes.push(`${e.peer}:${e.to}`);
    }
    expect(changes.filter((c) => !c.startsWith("p7:"))).toEqual([]);
    expect(changes).toContain("p7:suspect");
    expect(changes).toContain("p7:dead");
    expect(peer(node, "p50", T0 + 200 * HB)?.status).toBe("alive");
  });
});

describe("partners", () => {
  test.each([
    [10, 10],
    [12, 12],
    [40, 12],
    [200, 12],
  ])("%d live peers: each item's VIEW_EVENT goes to %d of them", (n, want) => {
    const { node } = makeNode("hugo", "node", { content: [{ content_id: "show:a", ad_id: "ad-1" }] });
    introduce(node, ids(n));
    const views = sendsOf(node.tick(T0 + HB), "VIEW_EVENT");
    expect(views.length).toBe(want);
  });

  test("the same partners, heartbeat after heartbeat", () => {
    const { node } = makeNode("hugo", "node", { content: [{ content_id: "show:a", ad_id: "ad-1" }] });
    introduce(node, ids(60));
    const first = sendsOf(beat(node, T0 + HB), "VIEW_EVENT").map((s) => s.to).sort();
    // Within the newcomers' grace (6 rechoke intervals), before choking of non-contributors begins.
    for (let i = 2; i <= 5; i++) expect(sendsOf(beat(node, T0 + i * HB), "VIEW_EVENT").map((s) => s.to).sort()).toEqual(first);
  });

  test("a peer that reports to us and ranks near our partners gets our views in return", () => {
    const { node } = makeNode("hugo", "node", { content: [{ content_id: "show:a", ad_id: "ad-1" }] });
    const all = ids(60);
    introduce(node, all);
    const partners = new Set(sendsOf(node.tick(T0 + HB), "VIEW_EVENT").map((s) => s.to));
    const ranked = all.filter((id) => !partners.has(id)).sort((a, b) => pairRank("hugo", a) - pairRank("hugo", b));
    const next = ranked[0]!;
    deliver(node, msg("VIEW_EVENT", next, { event_id: "e1", content_id: "show:a", count: 5, ad_id: "ad-1" }, T0 + HB + 1), T0 + HB + 1);
    const out = node.tick(T0 + 2 * HB);
    expect(sendsOf(out, "VIEW_EVENT", next).length).toBe(1);
    expect(sendsOf(out, "VIEW_EVENT").length).toBe(partners.size + 1);
  });
});

describe("rumours", () => {
  const list = (sender: string, entries: Array<{ node_id: string; status?: "alive" | "suspect" | "dead"; incarnation?: number }>, t: number) =>
    msg("PEER_LIST", sender, { peers: [{ node_id: sender, queue_url: urlOf(sender) }, ...entries.map((e) => ({ ...e, queue_url: urlOf(e.node_id) }))] }, t);

  const claim = (s: string) => {
    const [status, inc] = s.split("@");
    return { status: status as "alive" | "suspect" | "dead", incarnation: Number(inc) };
  };
  test.each([
    ["suspect@0", "alive@0", true],
    ["alive@1", "dead@0", true],
    ["suspect@0", "suspect@0", false],
    ["dead@0", "alive@1", false],
  ])("%s supersedes %s: %p", (a, b, want) => expect(supersedes(claim(a), claim(b))).toBe(want));

  test("a suspicion of a peer heard from lately is not taken: the peer is PINGed at the next heartbeat instead", () => {
    const { node } = makeNode();
    introduce(node, ids(40));
    const t = T0 + 5_000;
    deliver(node, msg("PING", "p3", { seq: 1 }, t), t);
    const out = deliver(node, list("p1", [{ node_id: "p3", status: "suspect", incarnation: 0 }], t + 1), t + 1);
    expect(eventsOf(out, "peer_status")).toEqual([]);
    expect(sendsOf(node.tick(T0 + HB), "PING", "p3").length).toBe(1);
  });

  test("a suspicion of a peer silent here for 3 heartbeats is taken, and passed on in the next PEER_LIST", () => {
    const { node } = makeNode();
    introduce(node, ids(40));
    const t = T0 + 3 * HB + 1;
    const out = deliver(node, list("p1", [{ node_id: "p3", status: "suspect", incarnation: 0 }], t), t);
    expect(eventsOf(out, "peer_status")).toEqual([{ type: "peer_status", peer: "p3", from: "alive", to: "suspect" }]);
    const reply = sendsOf(deliver(node, msg("HELLO", "p9", { queue_url: urlOf("p9") }, t + 1), t + 1), "PEER_LIST")[0]!;
    const entries = reply.message.type === "PEER_LIST" ? reply.message.peers : [];
    expect(entries[1]).toEqual({ node_id: "p3", queue_url: urlOf("p3"), status: "suspect", incarnation: 0 });
  });

  test("a stale rumour (an incarnation below the known one) changes nothing", () => {
    const { node } = makeNode();
    introduce(node, ids(40));
    // p3 itself announces incarnation 2 (its own entry of its PEER_LIST).
    deliver(node, msg("PEER_LIST", "p3", { peers: [{ node_id: "p3", queue_url: urlOf("p3"), incarnation: 2 }] }, T0 + 1), T0 + 1);
    const t = T0 + 4 * HB;
    const out = deliver(node, list("p1", [{ node_id: "p3", status: "dead", incarnation: 1 }], t), t);
    expect(eventsOf(out, "peer_status")).toEqual([]);
  });

  test("a node rumoured suspect refutes it with a higher incarnation, to the teller at once and in its later PEER_LISTs", () => {
    const { node } = makeNode();
    introduce(node, ids(3));
    const out = deliver(node, list("p1", [{ node_id: "hugo", status: "suspect", incarnation: 0 }], T0 + 1), T0 + 1);
    const back = sendsOf(out, "PEER_LIST", "p1");
    expect(back.map((s) => (s.message.type === "PEER_LIST" ? s.message.peers : []))).toContainEqual([
      { node_id: "hugo", queue_url: urlOf("hugo"), incarnation: 1 },
    ]);
    const later = sendsOf(deliver(node, msg("HELLO", "p2", { queue_url: urlOf("p2") }, T0 + 2), T0 + 2), "PEER_LIST")[0]!;
    expect(later.message.type === "PEER_LIST" && later.message.peers[0]).toEqual({ node_id: "hugo", queue_url: urlOf("hugo"), incarnation: 1 });
  });

  test("entry fields of the wrong kind are taken as absent: the list is still handled", () => {
    const { node } = makeNode();
    const body = JSON.stringify({
      ...msg("PEER_LIST", "p1", { peers: [] }, T0 + 1),
      peers: [{ node_id: "p1" }, { node_id: "p2", status: "sleepy", incarnation: -4 }],
    });
    const out = node.receive(body, T0 + 1);
    expect(eventsOf(out, "rejected")).toEqual([]);
    expect(peer(node, "p2")?.status).toBe("alive");
  });
});
