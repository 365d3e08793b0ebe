import { describe, expect, test } from "bun:test";
import type { PeerSnapshot, SenderSnapshot } from "../../src/core/types.ts";
import { NETWORK_NODES_MAX, toNetwork, type NetworkObserver } from "../../src/fleet/network.ts";
import { formatNetworkTable, wrongSummary } from "../../src/fleet/network-table.ts";
import type { Health } from "../../src/fleet/health-types.ts";

const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);

function peer(id: string, over: Partial<PeerSnapshot> = {}): PeerSnapshot {
  return {
    id,
    queueUrl: `https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-${id}-p2p`,
    status: "alive",
    lastSeenMs: NOW - 3_000,
    knownSinceMs: NOW - 60_000,
    rttMs: 20,
    rttP50Ms: 18.4,
    reputation: { score: 0.8333, agree: 4.5, disagree: 0.2, reports: 5 },
    flagged: false,
    choked: false,
    chokingUs: false,
    ...over,
  };
}

function sender(id: string, over: Partial<SenderSnapshot> = {}): SenderSnapshot {
  return { id, in: {}, rejected: {}, lastRejection: null, lastHeardMs: NOW - 1_000, ...over };
}

const fleet = [
  { id: "bot-alpha", state: "running" as const },
  { id: "bot-bravo", state: "running" as const },
];

describe("toNetwork", () => {
  const observers: NetworkObserver[] = [
    {
      id: "bot-alpha",
      state: "running",
      peers: [peer("bot-bravo"), peer("sam", { status: "suspect", rttP50Ms: null, reputation: { score: 0.41, agree: 1, disagree: 3, reports: 4 }, flagged: true, choked: true })],
      senders: [
        sender("bot-bravo", { in: { PING: 4 } }),
        sender("sam", { in: { HELLO: 1, PONG: 2 }, rejected: { invalid_field: 2 }, lastRejection: { reason: "invalid_field", detail: "PING.seq: old", body: "{old}", atMs: NOW - 9_000 } }),
      ],
    },
    {
      id: "bot-bravo",
      state: "running",
      peers: [peer("bot-alpha"), peer("sam", { chokingUs: true, lastSeenMs: NOW - 7_000 })],
      senders: [
        sender("sam", { in: { PONG: 1 }, rejected: { not_object: 1, invalid_field: 1 }, lastRejection: { reason: "invalid_field", detail: "PONG.seq: new", body: "{new}", atMs: NOW - 2_000 }, lastHeardMs: NOW - 2_000 }),
        // heard from, never in a peer table: a node that only sends garbage
        sender("zed", { rejected: { unknown_type: 3 }, lastHeardMs: NOW - 4_000 }),
      ],
    },
  ];
  const network = toNetwork(fleet, observers, NOW);
  const byId = Object.fromEntries(network.map((e) => [e.id, e]));

  test("fleet nodes first in fleet order, then the others by id", () => {
    expect(network.map((e) => e.id)).toEqual(["bot-alpha", "bot-bravo", "sam", "zed"]);
    expect(network.map((e) => e.fleet)).toEqual([true, true, false, false]);
    expect(byId["bot-alpha"]!.state).toBe("running");
  });

  test("what each observer sees of a node, and sums over observers", () => {
    const sam = byId.sam!;
    expect(sam.seen_by["bot-alpha"]).toEqual({
      status: "suspect",
      last_seen_s_ago: 3,
      rtt_p50_ms: null,
      reputation: { score: 0.41, agree: 1, disagree: 3, reports: 4 },
      flagged: true,
      choked: true,
      chokes_observer: false,
      received: { HELLO: 1, PONG: 2 },
      rejected: { invalid_field: 2 },
    });
    expect(sam.seen_by["bot-bravo"]).toMatchObject({ status: "alive", last_seen_s_ago: 7, rtt_p50_ms: 18, chokes_observer: true, rejected: { not_object: 1, invalid_field: 1 } });
    expect(sam.received).toEqual({ HELLO: 1, PONG: 3 });
    expect(sam.rejected).toEqual({ invalid_field: 3, not_object: 1 });
    expect(sam.rejected_total).toBe(4);
    expect(sam.heard_s_ago).toBe(1);
  });

  test("the last offending body is the latest over every observer", () => {
    expect(byId.sam!.last_rejection).toEqual({ observer: "bot-bravo", reason: "invalid_field", detail: "PONG.seq: new", body: "{new}", at: new Date(NOW - 2_000).toISOString() });
  });

  test("a node only heard from has counts but no status", () => {
    expect(byId.zed!.seen_by["bot-bravo"]).toMatchObject({ status: null, reputation: null, rejected: { unknown_type: 3 } });
  });

  test("bounded by the peer table's size: the least recently heard outsiders are left out, fleet nodes never", () => {
    const many = Array.from({ length: NETWORK_NODES_MAX + 50 }, (_, i) => peer(`n${String(i).padStart(4, "0")}`, { lastSeenMs: NOW - 1_000_000 + i }));
    const big = toNetwork(fleet, [{ id: "bot-alpha", state: "running", peers: many, senders: [] }], NOW);
    expect(big.length).toBe(NETWORK_NODES_MAX);
    expect(big.slice(0, 2).map((e) => e.id)).toEqual(["bot-alpha", "bot-bravo"]);
    // the 52 heard from longest ago made room for the two fleet nodes
    expect(big[2]!.id).toBe("n0052");
  });

  test("the table: one row per node, what it sent wrong by count", () => {
    const h = { at: new Date(NOW).toISOString(), sqs: { mode: "local", endpoint: null }, nodes: [], fleet: { flagged: {} }, network } as Health;
    const lines = formatNetworkTable(h).split("\n");
    expect(lines[0]).toBe(`network at ${h.at}: 4 nodes (2 in the fleet, 2 outside)`);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(["NODE", "FLEET", "SEEN a/s/d", "HEARD", "RTT p50", "REPUTATION", "FLAGGED BY", "CHOKED BY", "CHOKES", "MSGS IN", "SENT WRONG", "LAST WRONG"]);
    const sam = lines.find((l) => l.startsWith("sam "))!.split(/\s{2,}/);
    expect(sam).toEqual(["sam", "-", "1/1/0", "1s", "18ms", "0.41-0.83", "bot-alpha", "bot-alpha", "bot-bravo", "4", "invalid_field x3, not_object x1", "PONG.seq: new"]);
    expect(lines.find((l) => l.startsWith("zed "))!.split(/\s{2,}/)).toEqual(["zed", "-", "-", "4s", "-", "-", "-", "-", "-", "0", "unknown_type x3", "-"]);
  });

  test.each([
    [{}, "-"],
    [{ not_json: 0 }, "-"],
    [{ b: 1, a: 1, c: 5 }, "c x5, a x1, b x1"],
  ])("wrongSummary(%p)", (rejected, want) => expect(wrongSummary(rejected)).toBe(want));
});
