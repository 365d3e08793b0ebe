import { describe, expect, test } from "bun:test";
import type { PeerSnapshot, NodeSnapshot } from "../../src/core/types.ts";
import type { RunnerHealth, RunnerState } from "../../src/runtime/types.ts";
import { healthBrief, toHealth, type SlotView } from "../../src/fleet/health.ts";
import { fleetLine, formatHealthTable, formatUptime } from "../../src/fleet/health-table.ts";

const NOW = Date.UTC(2026, 10, 24, 14, 0, 0);

function peer(id: string, over: Partial<PeerSnapshot> = {}): PeerSnapshot {
  return {
    id,
    queueUrl: `https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-${id}-p2p`,
    status: "alive",
    lastSeenMs: NOW - 2_000,
    knownSinceMs: NOW - 60_000,
    rttMs: 12.4,
    rttP50Ms: 12.1,
    reputation: { score: 0.8333, agree: 4.5, disagree: 0.2, reports: 5 },
    flagged: false,
    choked: false,
    chokingUs: false,
    ...over,
  };
}

function runner(id: string, state: RunnerState, peers: PeerSnapshot[]): RunnerHealth {
  const snapshot: NodeSnapshot = {
    id,
    persona: "node",
    atMs: NOW,
    peers,
    counters: {
      in: { HELLO: 1, PEER_LIST: 0, PING: 10, PONG: 9, VIEW_EVENT: 6, AUDIT_RESULT: 2, CHOKE: 0, UNCHOKE: 0 },
      out: { HELLO: 2, PEER_LIST: 1, PING: 10, PONG: 10, VIEW_EVENT: 6, AUDIT_RESULT: 2, CHOKE: 1, UNCHOKE: 0 },
      rejected: { not_json: 2, unknown_type: 1 },
      urlRejected: 0,
      duplicates: 0,
      dropped: {},
    },
    rttP50Ms: 11.6,
    audits: [{ content_id: "show:dawn-patrol", epoch: 7, agreed_count: 420, confidence: 0.67, voters: ["a", "b", "c"], atMs: NOW - 1000 }],
    peerAudits: [],
    senders: [],
  };
  return {
    id,
    state,
    startedAtMs: NOW - 90_000,
    snapshot,
    transport: { requests: { ReceiveMessage: 5 }, messagesSent: 40, messagesReceived: 30, messagesDeleted: 30, errors: {}, backoffMs: 0 },
    recentEvents: [{ atMs: NOW - 5_000, event: { type: "peer_flagged", peer: "bot-charlie", score: 0.41 } }],
    journalErrors: { write_enospc: 3 },
    journalSyncs: { count: 12, ms: 4.5 },
  };
}

function slot(id: string, over: Partial<SlotView> = {}): SlotView {
  return { id, persona: id, kind: "builtin", slot: "up", restarts: 0, upSinceMs: NOW - 125_000, runner: null, ...over };
}

const health = (slots: SlotView[]) => toHealth({ nowMs: NOW, sqs: { mode: "local", endpoint: "http://127.0.0.1:4566" }, slots });

describe("toHealth: the state a node shows", () => {
  test.each<[string, Partial<SlotView>, string]>([
    ["no report yet", { runner: null }, "starting"],
    ["runner starting", { runner: runner("a", "starting", []) }, "starting"],
    ["runner running", { runner: runner("a", "running", []) }, "running"],
    ["runner degraded (SQS unreachable)", { runner: runner("a", "degraded", []) }, "degraded"],
    ["runner stopping", { runner: runner("a", "stopping", []) }, "stopped"],
    ["waiting for its restart", { slot: "restarting", upSinceMs: null }, "restarting"],
    ["given up after repeated crashes", { slot: "failed", upSinceMs: null }, "failed"],
    ["launched, no thread report yet", { slot: "starting" }, "starting"],
    ["command node up", { kind: "command", runner: null }, "running"],
  ])("%s -> %s", (_name, over, want) => {
    expect(health([slot("a", over)]).nodes[0]!.state).toBe(want as never);
  });
});

describe("toHealth: uptime", () => {
  test.each<[string, Partial<SlotView>, number]>([
    ["up for 125 s: 125", {}, 125],
    ["stopped cleanly after a 90 s run: the final table shows the run: 90", { slot: "stopped", upSinceMs: null, lastRunMs: 90_400 }, 90],
    ["waiting for its restart: down, 0", { slot: "restarting", upSinceMs: null, lastRunMs: 5_000 }, 0],
    ["failed: down, 0", { slot: "failed", upSinceMs: null, lastRunMs: 1_000 }, 0],
  ])("%s", (_name, over, want) => {
    expect(health([slot("a", over)]).nodes[0]!.uptime_s).toBe(want);
  });
});

describe("toHealth: a node's row", () => {
  const h = health([
    slot("bot-alpha", {
      restarts: 2,
      runner: runner("bot-alpha", "running", [
        peer("bot-bravo"),
        peer("bot-charlie", { flagged: true, choked: true, status: "suspect", rttMs: null, reputation: { score: 0.4123, agree: 2, disagree: 5.3, reports: 9 } }),
        peer("hugo", { status: "dead", chokingUs: true, lastSeenMs: NOW - 61_400 }),
      ]),
    }),
  ]);
  const n = h.nodes[0]!;
  test.each<[string, unknown, unknown]>([
    ["uptime in whole seconds", n.uptime_s, 125],
    ["restarts", n.restarts, 2],
    ["peer ids in order", n.peers.map((p) => p.id), ["bot-bravo", "bot-charlie", "hugo"]],
    ["peer statuses", n.peers.map((p) => p.status), ["alive", "suspect", "dead"]],
    ["reputation to 2 decimals", n.peers.map((p) => p.reputation), [0.83, 0.41, 0.83]],
    ["reputation parts", [n.peers[1]!.agree, n.peers[1]!.disagree, n.peers[1]!.reports], [2, 5.3, 9]],
    ["rtt rounded, null before any PONG", n.peers.map((p) => p.rtt_ms), [12, null, 12]],
    ["last seen", n.peers.map((p) => p.last_seen_s_ago), [2, 2, 61]],
    ["choking us", n.peers.map((p) => p.choking_us), [false, false, true]],
    ["flags", n.flags, ["bot-charlie"]],
    ["chokes", n.chokes, ["bot-charlie"]],
    ["rtt p50 rounded", n.rtt_p50_ms, 12],
    ["message counters", [n.counters.in.PING, n.counters.out.CHOKE], [10, 1]],
    ["rejected by reason", n.counters.rejected, { not_json: 2, unknown_type: 1 }],
    ["sqs requests", n.counters.sqs_requests, { ReceiveMessage: 5 }],
    ["seen-journal failures by reason", n.counters.journal_errors, { write_enospc: 3 }],
    ["outbox flushes to disk", n.counters.journal_syncs, { count: 12, ms: 4.5 }],
    ["audit time as ISO", n.audits[0]!.at, new Date(NOW - 1000).toISOString()],
    ["events in words", n.events.map((e) => e.text), ["flagged bot-charlie (score 0.41)"]],
  ])("%s", (_name, got, want) => {
    expect(got).toEqual(want);
  });
});

describe("toHealth: the fleet line counts who flags whom", () => {
  const flagsCharlie = (id: string) => runner(id, "running", [peer("bot-charlie", { flagged: true })]);
  test.each<[string, SlotView[], Record<string, string[]>]>([
    ["nobody flags", [slot("a", { runner: runner("a", "running", [peer("b")]) })], {}],
    [
      "two flag charlie",
      [slot("bot-bravo", { runner: flagsCharlie("bot-bravo") }), slot("bot-alpha", { runner: flagsCharlie("bot-alpha") }), slot("bot-charlie", { runner: runner("bot-charlie", "running", []) })],
      { "bot-charlie": ["bot-alpha", "bot-bravo"] },
    ],
    [
      "a node stopped cleanly keeps its final view (the table at exit)",
      [slot("bot-alpha", { slot: "stopped", upSinceMs: null, runner: flagsCharlie("bot-alpha") })],
      { "bot-charlie": ["bot-alpha"] },
    ],
    [
      "a restarting node's last view does not count",
      [slot("bot-alpha", { runner: flagsCharlie("bot-alpha") }), slot("bot-bravo", { slot: "restarting", runner: flagsCharlie("bot-bravo") })],
      { "bot-charlie": ["bot-alpha"] },
    ],
    [
      "a failed node's old view does not count",
      [slot("bot-alpha", { runner: flagsCharlie("bot-alpha") }), slot("bot-bravo", { slot: "failed", runner: flagsCharlie("bot-bravo") })],
      { "bot-charlie": ["bot-alpha"] },
    ],
  ])("%s", (_name, slots, want) => {
    expect(health(slots).fleet.flagged).toEqual(want);
  });
});

describe("the health table", () => {
  const h = health([
    slot("bot-alpha", { runner: runner("bot-alpha", "running", [peer("bot-bravo"), peer("bot-charlie", { flagged: true, choked: true })]) }),
    slot("bot-bravo", { runner: runner("bot-bravo", "running", [peer("bot-alpha"), peer("bot-charlie", { flagged: true })]) }),
    slot("bot-charlie", { runner: runner("bot-charlie", "running", [peer("bot-alpha"), peer("bot-bravo")]) }),
    slot("sam", { kind: "command", persona: "command" }),
    slot("hugo", { slot: "failed", upSinceMs: null, restarts: 4 }),
    slot("bruno", { kind: "command", persona: "command", slot: "stopped", upSinceMs: null, lastRunMs: 90_400 }),
  ]);
  const table = formatHealthTable(h);
  const lines = table.split("\n");
  test.each<[string, RegExp]>([
    ["header", /^NODE\s+PERSONA\s+STATE\s+UPTIME\s+RESTARTS\s+PEERS a\/s\/d\s+MSGS in\/out\s+REJECTED\s+RTT p50\s+FLAGS\s+CHOKES$/],
    ["alpha's row", /^bot-alpha\s+bot-alpha\s+running\s+2m05s\s+0\s+2\/0\/0\s+28\/32\s+3\s+12ms\s+bot-charlie\s+bot-charlie$/],
    // Its peers, counters, round trips, flags and chokes are known only to its own code: "?", never "-" (none).
    ["a command node's unknown columns", /^sam\s+command\s+running\s+2m05s\s+0\s+\?\s+\?\s+\?\s+\?\s+\?\s+\?$/],
    ["a failed node", /^hugo\s+hugo\s+failed\s+-\s+4\s/],
    ["a stopped node (the final table) shows how long it ran", /^bruno\s+command\s+stopped\s+1m30s\s+0\s/],
    ["the fleet line", /^flagged: bot-charlie by 2 of 2 \(bot-alpha, bot-bravo\)$/],
  ])("%s", (_name, re) => {
    expect(lines.some((l) => re.test(l))).toBe(true);
  });

  test("nobody flagged", () => {
    expect(fleetLine(health([slot("a", { runner: runner("a", "running", []) })]))).toBe("flagged: nobody");
  });

  test.each([
    [0, "0s"],
    [59, "59s"],
    [125, "2m05s"],
    [3600 * 5 + 60 * 7 + 3, "5h07m"],
  ])("uptime %p s reads %p", (s, want) => {
    expect(formatUptime(s)).toBe(want);
  });
});

describe("toHealth: the network", () => {
  test("every fleet node (reporting or not) and every node one of them knows; a command node observes nothing", () => {
    const alpha = runner("bot-alpha", "running", [peer("sam"), peer("hugo")]);
    alpha.snapshot.senders = [{ id: "sam", in: { PONG: 3 }, rejected: { invalid_field: 1 }, lastRejection: { reason: "invalid_field", detail: "PING.seq: x", body: "{}", atMs: NOW - 1000 }, lastHeardMs: NOW - 1000 }];
    const h = health([slot("bot-alpha", { runner: alpha }), slot("hugo", { kind: "command", persona: "command" }), slot("bot-bravo", { runner: null })]);
    expect(h.network!.map((e) => [e.id, e.fleet, e.state ?? null])).toEqual([
      ["bot-alpha", true, "running"],
      ["hugo", true, "running"],
      ["bot-bravo", true, "starting"],
      ["sam", false, null],
    ]);
    expect(Object.keys(h.network![1]!.seen_by)).toEqual(["bot-alpha"]);
    expect(h.network![3]).toMatchObject({ received: { PONG: 3 }, rejected: { invalid_field: 1 }, rejected_total: 1, last_rejection: { observer: "bot-alpha", detail: "PING.seq: x" } });
    expect(h.network![3]!.seen_by["bot-alpha"]).toMatchObject({ status: "alive", rtt_p50_ms: 12, last_seen_s_ago: 2 });
  });
});

describe("healthBrief: the periodic log line", () => {
  test("peers counted by status, no audits or events, the network's size only; the rest as /health has it", () => {
    const alpha = runner("bot-alpha", "running", [peer("sam"), peer("hugo", { status: "suspect" }), peer("gil", { status: "dead" }), peer("phin")]);
    const h = health([slot("bot-alpha", { runner: alpha }), slot("bot-bravo", { runner: null })]);
    const b = healthBrief(h);
    expect(b.nodes.map((n) => [n.id, n.peers])).toEqual([
      ["bot-alpha", { alive: 2, suspect: 1, dead: 1 }],
      ["bot-bravo", { alive: 0, suspect: 0, dead: 0 }],
    ]);
    expect(b.nodes.every((n) => !("audits" in n) && !("events" in n))).toBe(true);
    expect(b.network_nodes).toBe(h.network!.length);
    expect("network" in b).toBe(false);
    const { peers: _p, audits: _a, events: _e, ...row } = h.nodes[0]!;
    expect(b.nodes[0]).toMatchObject(row);
    expect(b.fleet).toEqual(h.fleet);
  });

  test("its size does not grow with the peers a node knows", () => {
    const many = Array.from({ length: 400 }, (_, i) => peer(`n-${i}`));
    const small = JSON.stringify(healthBrief(health([slot("bot-alpha", { runner: runner("bot-alpha", "running", many.slice(0, 4)) })]))).length;
    const large = JSON.stringify(healthBrief(health([slot("bot-alpha", { runner: runner("bot-alpha", "running", many) })]))).length;
    expect(large - small).toBeLessThan(10);
  });
});

