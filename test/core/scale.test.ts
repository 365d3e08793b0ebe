import { describe, expect, test } from "bun:test";
import { DEFAULT_SCALE_BOUNDS, DEFAULT_SEED, ScaleBounds } from "../../src/core/settings.ts";
import { epochOf, trueCount } from "../../src/core/views.ts";
import { pairRank } from "../../src/core/partners.ts";
import { silenceMs } from "../../src/core/failure.ts";
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

describe("partners (docs/protocol.md SCALE-9, SCALE-14, SCALE-15)", () => {
  const ITEM = { content_id: "show:a", ad_id: "ad-1" };
  const oneItem = () => makeNode("hugo", "node", { content: [ITEM] }).node;
  /** The peers in order of their pair rank with hugo: the order offers follow. */
  const byRank = (all: string[]) => [...all].sort((a, b) => pairRank("hugo", a) - pairRank("hugo", b));
  let events = 0;
  /** A true report from `from` at `t`: hugo audits it and agrees, so nobody gets flagged. */
  const report = (node: NodeCore, from: string, t: number) =>
    deliver(
      node,
      msg("VIEW_EVENT", from, { event_id: `e${++events}`, content_id: ITEM.content_id, count: trueCount(DEFAULT_SEED, ITEM.content_id, epochOf(t, 30_000)), ad_id: ITEM.ad_id }, t),
      t,
    );
  /**
   * Heartbeat `i`: every PING answered, and each peer for which `answers` holds
   * answers hugo's views with a report of its own. Returns where the views went.
   */
  function round(node: NodeCore, i: number, answers: (id: string) => boolean): { to: string[]; out: Output } {
    const t = T0 + i * HB;
    const out = beat(node, t);
    const to = sendsOf(out, "VIEW_EVENT").map((s) => s.to);
    for (const id of to) if (answers(id)) report(node, id, t + 200);
    return { to: [...to].sort(), out };
  }

  test.each([
    // live peers, places; the first views go to every peer of a small network, else to the best-ranked
    [10, 10],
    [12, 12],
    [13, 12],
    [40, 12],
    [200, 12],
    [500, 12],
  ])("%d live peers: the first views go to %d of them, lowest pair rank first", (n, want) => {
    const node = oneItem();
    introduce(node, ids(n));
    const { to } = round(node, 1, () => false);
    expect(to).toEqual(byRank(ids(n)).slice(0, want).sort());
  });

  test.each([
    // who answers, how many, heartbeat, where the views go (ranks, 1-based): an offer lapses at the
    // third rechoke after it, and the next-ranked peers are offered the places
    ["none", 0, 1, [1, 12]],
    ["none", 0, 3, [1, 12]],
    ["none", 0, 4, [13, 24]],
    ["none", 0, 7, [25, 36]],
    ["the best", 6, 4, [1, 6, 13, 18]],
    ["the best", 6, 12, [1, 6, 25, 30]],
    // Past 12 rechokes a node offers to newcomers only: the unanswered offers lapse, the answered stay.
    ["the best", 6, 13, [1, 6]],
    ["the best", 6, 20, [1, 6]],
  ] as const)("40 peers, %s %d answering: at heartbeat %d the views go to the ranks %p", (_, answering, at, ranks) => {
    const node = oneItem();
    const all = ids(40);
    introduce(node, all);
    const ranked = byRank(all);
    const best = new Set(ranked.slice(0, answering));
    let to: string[] = [];
    for (let i = 1; i <= at; i++) to = round(node, i, (id) => best.has(id)).to;
    const want = ranks.length === 2 ? ranked.slice(ranks[0] - 1, ranks[1]) : [...ranked.slice(ranks[0] - 1, ranks[1]), ...ranked.slice(ranks[2]! - 1, ranks[3])];
    expect(to).toEqual([...want].sort());
  });

  test("a newcomer is offered a place past the first minutes", () => {
    const node = oneItem();
    const all = ids(40);
    introduce(node, all);
    const best = new Set(byRank(all).slice(0, 6));
    for (let i = 1; i <= 15; i++) round(node, i, (id) => best.has(id));
    introduce(node, ["late"], T0 + 15 * HB + 1);
    expect(round(node, 16, (id) => best.has(id)).to).toEqual([...best, "late"].sort());
  });

  test("a peer that reports to us takes a place before an unanswered offer: the views still go to 12", () => {
    const node = oneItem();
    const all = ids(40);
    introduce(node, all);
    const ranked = byRank(all);
    round(node, 1, () => false);
    report(node, ranked[20]!, T0 + HB + 300);
    const { to } = round(node, 2, () => false);
    expect(to).toHaveLength(12);
    expect(to).toContain(ranked[20]!);
    expect(to).not.toContain(ranked[11]!);
  });

  test("a partner that chokes us keeps its place, one that stops answering gives it up", () => {
    const node = oneItem();
    const all = ids(40);
    introduce(node, all);
    const ranked = byRank(all);
    const [choker, quitter] = [ranked[0]!, ranked[1]!];
    const answering = new Set(ranked.slice(0, 12));
    for (let i = 1; i <= 2; i++) round(node, i, (id) => answering.has(id));
    deliver(node, msg("CHOKE", choker, {}, T0 + 2 * HB + 500), T0 + 2 * HB + 500);
    answering.delete(choker);
    answering.delete(quitter);
    let last: string[] = [];
    for (let i = 3; i <= 9; i++) last = round(node, i, (id) => answering.has(id)).to;
    // The choker holds its place, choked in turn for contributing nothing (RECHOKE-2) but the one peer
    // the optimistic slot can go to (RECHOKE-3); the quitter's place went to the next offer.
    expect(last).toHaveLength(12);
    expect(last).toContain(choker);
    expect(last).not.toContain(quitter);
    expect(last).toContain(ranked[12]!);
  });

  test("past the bound an audit counts its partners' reports only", () => {
    const node = oneItem();
    const all = ids(40);
    introduce(node, all);
    const ranked = byRank(all);
    const partners = new Set(ranked.slice(0, 12));
    const outsider = ranked[30]!;
    const audits: Array<{ voters: string[] }> = [];
    for (let i = 1; i <= 9; i++) {
      const { out } = round(node, i, (id) => partners.has(id));
      audits.push(...eventsOf(out, "audit"));
      report(node, outsider, T0 + i * HB + 300);
    }
    expect(audits.length).toBeGreaterThan(0);
    for (const a of audits) {
      expect(a.voters).not.toContain(outsider);
      expect(a.voters.length).toBe(13);
    }
  });

  test("in a small network an audit counts every reporter", () => {
    const node = oneItem();
    introduce(node, ids(10));
    const audits: Array<{ voters: string[] }> = [];
    for (let i = 1; i <= 9; i++) audits.push(...eventsOf(round(node, i, () => true).out, "audit"));
    expect(audits.length).toBeGreaterThan(0);
    for (const a of audits) expect(a.voters.length).toBe(11);
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

  /** Heartbeats of `node`, every peer but `silent` answering, until one PINGs `silent`: that heartbeat's time. */
  const untilPinged = (node: NodeCore, silent: string): number => {
    for (let beats = 0; beats < 100; beats++) {
      const t = node.nextDeadlineMs();
      if (sendsOf(beat(node, t, (to) => to !== silent), "PING", silent).length > 0) return t;
    }
    throw new Error(`${silent} never PINGed`);
  };

  test("a suspicion of a peer silent here for 3 heartbeats (PINGed, unanswered) is taken, and passed on in the next PEER_LIST", () => {
    const { node } = makeNode();
    introduce(node, ids(40));
    const pingedMs = untilPinged(node, "p3");
    // Two heartbeats after the unanswered PING, before the heartbeat that would find it alone (SCALE-3).
    const t = pingedMs + 2 * HB + 1;
    const out = deliver(node, list("p1", [{ node_id: "p3", status: "suspect", incarnation: 0 }], t), t);
    expect(eventsOf(out, "peer_status")).toEqual([{ type: "peer_status", peer: "p3", from: "alive", to: "suspect" }]);
    const reply = sendsOf(deliver(node, msg("HELLO", "p9", { queue_url: urlOf("p9") }, t + 1), t + 1), "PEER_LIST")[0]!;
    const entries = reply.message.type === "PEER_LIST" ? reply.message.peers : [];
    expect(entries[1]).toEqual({ node_id: "p3", queue_url: urlOf("p3"), status: "suspect", incarnation: 0 });
  });

  test.each([
    ["suspect", 4],
    ["dead", 7],
  ] as const)(
    "a %s rumour of a peer not asked since it last spoke, %d heartbeats ago, is not taken: the peer is PINGed instead (a healed partition's news)",
    (status, beats) => {
      const { node } = makeNode();
      introduce(node, ids(40));
      const spokeMs = T0 + 5_000;
      deliver(node, msg("PING", "p3", { seq: 1 }, spokeMs), spokeMs);
      // The prober across the partition heard nothing from p3 for long; this node asked p3 nothing since it spoke.
      const t = spokeMs + beats * HB;
      const out = deliver(node, list("p1", [{ node_id: "p3", status, incarnation: 0 }], t), t);
      expect(eventsOf(out, "peer_status")).toEqual([]);
      expect(sendsOf(node.tick(node.nextDeadlineMs()), "PING", "p3").length).toBe(1);
    },
  );

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
