/**
 * Health readings built by hand, for the parts of the dashboard that do not
 * need a running fleet: every node knows every other, bot-charlie-like nodes
 * (accuracy 0.5) lose reputation step by step until flagged.
 */
import type { Health, HealthNode, HealthPeer } from "../../src/fleet/health-types.ts";

export interface FleetShape {
  ids: string[];
  /** Ids that report badly: their peers' scores of them fall with each step. */
  liars?: string[];
  /** `command:` nodes after the built-in ones: no runner, so no peers and no counters. */
  commands?: string[];
  /** Seconds since start; drives counters, scores and uptime. */
  step: number;
  startMs?: number;
}

export function healthOf(shape: FleetShape): Health {
  const liars = new Set(shape.liars ?? []);
  const atMs = (shape.startMs ?? Date.UTC(2025, 0, 1, 12)) + shape.step * 1000;
  const nodes = shape.ids.map((id, i): HealthNode => {
    const peers = shape.ids
      .filter((p) => p !== id)
      .map((p, j): HealthPeer => {
        const reputation = liars.has(p) ? Math.max(0.35, 0.67 - shape.step * 0.02) : Math.min(0.95, 0.5 + shape.step * 0.02);
        const reports = Math.floor(shape.step / 2);
        return {
          id: p,
          status: j === 0 && i === 1 && shape.step % 7 === 3 ? "suspect" : "alive",
          reputation: Math.round(reputation * 100) / 100,
          agree: Math.round(reports * reputation),
          disagree: reports - Math.round(reports * reputation),
          reports,
          flagged: liars.has(p) && reputation < 0.7 && reports >= 8,
          choked: liars.has(p) && reports >= 8,
          choking_us: liars.has(id) && reports >= 8,
          rtt_ms: 5 + j,
          last_seen_s_ago: 1,
        };
      });
    return {
      id,
      persona: i < 3 ? ["bot-alpha", "bot-bravo", "bot-charlie"][i]! : "node",
      kind: "builtin",
      state: "running",
      uptime_s: shape.step,
      restarts: 0,
      peers,
      counters: {
        in: { HELLO: 1, PING: shape.step * peers.length, PONG: shape.step * peers.length, VIEW_EVENT: shape.step * 3 },
        out: { HELLO: 1, PING: shape.step * peers.length, PONG: shape.step * peers.length, VIEW_EVENT: shape.step * 2 },
        rejected: shape.step > 5 ? { not_json: 1 } : {},
        sqs_requests: { ReceiveMessage: shape.step * 2, SendMessageBatch: shape.step, DeleteMessageBatch: shape.step },
        sqs_errors: {},
        journal_errors: i === 0 ? { write_enospc: 2 } : {},
        journal_syncs: { count: shape.step, ms: shape.step * 500 },
      },
      rtt_p50_ms: 6,
      flags: peers.filter((p) => p.flagged).map((p) => p.id),
      chokes: peers.filter((p) => p.choked).map((p) => p.id),
      audits:
        shape.step >= 4
          ? [
              {
                content_id: "show:midnight-run",
                epoch: 1000 + Math.floor(shape.step / 4),
                agreed_count: 412,
                confidence: liars.size > 0 ? 0.67 : 1,
                voters: shape.ids.slice(0, 3),
                at: new Date(atMs - 500).toISOString(),
              },
            ]
          : [],
      events: [{ at: new Date(atMs - 2000).toISOString(), text: `peer ${shape.ids[(i + 1) % shape.ids.length]} joined` }],
    };
  });
  for (const id of shape.commands ?? []) {
    nodes.push({
      id,
      persona: "command",
      kind: "command",
      state: "running",
      uptime_s: shape.step,
      restarts: 0,
      peers: [],
      counters: { in: {}, out: {}, rejected: {}, sqs_requests: {}, sqs_errors: {}, journal_errors: {} },
      rtt_p50_ms: null,
      flags: [],
      chokes: [],
      audits: [],
      events: [],
    });
  }
  const flagged: Record<string, string[]> = {};
  for (const n of nodes) for (const f of n.flags) (flagged[f] ??= []).push(n.id);
  return { at: new Date(atMs).toISOString(), sqs: { mode: "local", endpoint: "http://127.0.0.1:4566" }, nodes, fleet: { flagged } };
}
