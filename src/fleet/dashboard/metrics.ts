/**
 * `GET /metrics`: the health of the fleet in the Prometheus text exposition
 * format (version 0.0.4). Pure: one Health in, one text out. Every family is
 * written whole (HELP, TYPE, then all its samples) because the format forbids
 * a family's samples to be split.
 */
import type { Health, HealthNode, NodeState } from "../health-types.ts";
import { FLAG_THRESHOLD } from "./view-types.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}
interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: (health: Health) => Sample[];
}

const NODE_STATES: NodeState[] = ["starting", "running", "degraded", "restarting", "failed", "stopped"];
const PEER_STATUSES = ["alive", "suspect", "dead"] as const;

/** One sample per key of a counter record of each node, labelled with `label`. */
function perKey(pick: (n: HealthNode) => Record<string, number>, label: string) {
  return (health: Health): Sample[] =>
    health.nodes.flatMap((n) =>
      Object.entries(pick(n))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => ({ labels: { node: n.id, [label]: key }, value })),
    );
}

function perNode(pick: (n: HealthNode) => number) {
  return (health: Health): Sample[] => health.nodes.map((n) => ({ labels: { node: n.id }, value: pick(n) }));
}

function perPeer(pick: (p: HealthNode["peers"][number]) => number | null) {
  return (health: Health): Sample[] =>
    health.nodes.flatMap((n) =>
      n.peers.flatMap((p) => {
        const value = pick(p);
        return value === null ? [] : [{ labels: { node: n.id, peer: p.id }, value }];
      }),
    );
}

const FAMILIES: Family[] = [
  { name: "p2p_messages_in_total", type: "counter", help: "Protocol messages received, by type.", samples: perKey((n) => n.counters.in, "type") },
  { name: "p2p_messages_out_total", type: "counter", help: "Protocol messages sent, by type.", samples: perKey((n) => n.counters.out, "type") },
  { name: "p2p_messages_rejected_total", type: "counter", help: "Received bodies rejected, by reason.", samples: perKey((n) => n.counters.rejected, "reason") },
  {
    name: "p2p_sender_rejected_total",
    type: "counter",
    help: "Rejected bodies that named a valid sender, by the node that rejected them, that sender and the reason (senders: at most the peer table's size).",
    samples: (health) =>
      (health.network ?? []).flatMap((e) =>
        Object.entries(e.seen_by)
          .sort(([a], [b]) => a.localeCompare(b))
          .flatMap(([node, seen]) =>
            Object.entries(seen.rejected)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([reason, value]) => ({ labels: { node, sender: e.id, reason }, value })),
          ),
      ),
  },
  { name: "p2p_sqs_requests_total", type: "counter", help: "SQS API requests, by action.", samples: perKey((n) => n.counters.sqs_requests, "action") },
  { name: "p2p_sqs_errors_total", type: "counter", help: "SQS request errors, by kind.", samples: perKey((n) => n.counters.sqs_errors, "kind") },
  {
    name: "p2p_journal_errors_total",
    type: "counter",
    help: "Seen-journal reads, writes and flushes that failed, by operation and error code: messages a crash may handle again.",
    samples: perKey((n) => n.counters.journal_errors ?? {}, "reason"),
  },
  {
    name: "p2p_journal_syncs_total",
    type: "counter",
    help: "Flushes of the seen journal's outbox to disk, at most one per batch sent.",
    samples: (health) => health.nodes.flatMap((n) => (n.counters.journal_syncs ? [{ labels: { node: n.id }, value: n.counters.journal_syncs.count }] : [])),
  },
  {
    name: "p2p_journal_sync_seconds_total",
    type: "counter",
    help: "Time spent flushing the seen journal's outbox to disk.",
    samples: (health) => health.nodes.flatMap((n) => (n.counters.journal_syncs ? [{ labels: { node: n.id }, value: n.counters.journal_syncs.ms / 1000 }] : [])),
  },
  {
    name: "p2p_peers",
    type: "gauge",
    help: "Known peers, by the status this node sees.",
    samples: (health) =>
      health.nodes.flatMap((n) =>
        PEER_STATUSES.map((status) => ({ labels: { node: n.id, status }, value: n.peers.filter((p) => p.status === status).length })),
      ),
  },
  { name: "p2p_peer_reputation", type: "gauge", help: `Reputation score of a peer as this node rates it (0..1; flagged below ${FLAG_THRESHOLD}).`, samples: perPeer((p) => p.reputation) },
  { name: "p2p_peer_flagged", type: "gauge", help: "1 when this node flags the peer.", samples: perPeer((p) => (p.flagged ? 1 : 0)) },
  { name: "p2p_peer_choked", type: "gauge", help: "1 when this node chokes the peer.", samples: perPeer((p) => (p.choked ? 1 : 0)) },
  { name: "p2p_peer_choking_us", type: "gauge", help: "1 when the peer chokes this node.", samples: perPeer((p) => (p.choking_us ? 1 : 0)) },
  { name: "p2p_peer_rtt_seconds", type: "gauge", help: "Latest PING round trip to the peer.", samples: perPeer((p) => (p.rtt_ms === null ? null : p.rtt_ms / 1000)) },
  { name: "p2p_node_restarts_total", type: "counter", help: "Restarts of the node by the supervisor.", samples: perNode((n) => n.restarts) },
  { name: "p2p_node_uptime_seconds", type: "gauge", help: "Time since the node last started.", samples: perNode((n) => n.uptime_s) },
  {
    name: "p2p_node_state",
    type: "gauge",
    help: "1 for the state the node is in, 0 for the others.",
    samples: (health) =>
      health.nodes.flatMap((n) => NODE_STATES.map((state) => ({ labels: { node: n.id, state }, value: n.state === state ? 1 : 0 }))),
  },
  {
    name: "p2p_fleet_flagged_by",
    type: "gauge",
    help: "How many nodes of the fleet flag this node.",
    samples: (health) =>
      Object.entries(health.fleet.flagged)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([node, by]) => ({ labels: { node }, value: by.length })),
  },
];

export function formatMetrics(health: Health): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const s of family.samples(health)) lines.push(`${family.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Label values escape backslash, double quote and line feed (the format's three escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
