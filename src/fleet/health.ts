import type { NodeEvent } from "../core/types.ts";
import type { RunnerHealth } from "../runtime/types.ts";
import type { Health, HealthBrief, HealthNode, HealthPeer, NodeState } from "./health-types.ts";
import { toNetwork } from "./network.ts";

/** What the supervisor knows of one node besides the runner's own report. */
export interface SlotView {
  id: string;
  persona: string;
  kind: "builtin" | "command";
  /** The supervisor's side: is a worker or process up, waiting to restart, given up, stopped. */
  slot: "starting" | "up" | "restarting" | "failed" | "stopped";
  restarts: number;
  /** When the current run started; null while down. */
  upSinceMs: number | null;
  /** How long the last run lasted, once it ended cleanly: the final table shows it as the uptime. */
  lastRunMs?: number | null;
  /** The latest report of the node's runner; null before the first (and always for command nodes). */
  runner: RunnerHealth | null;
}

export interface HealthInput {
  nowMs: number;
  sqs: Health["sqs"];
  control?: Health["control"];
  slots: readonly SlotView[];
}

/** Events shown per node: the recent story, not the history. */
export const HEALTH_EVENTS_MAX = 20;
/** Audits shown per node. */
export const HEALTH_AUDITS_MAX = 10;

/** The JSON of GET /health, from what the supervisor and the workers know. Pure. */
export function toHealth(input: HealthInput): Health {
  const nodes = input.slots.map((s) => toHealthNode(s, input.nowMs));
  const flagged: Record<string, string[]> = {};
  for (const n of nodes) {
    // A crashed node's last view is stale; a node stopped cleanly keeps its final view (the table at exit).
    if (n.state === "failed" || n.state === "restarting") continue;
    for (const p of n.flags) (flagged[p] ??= []).push(n.id);
  }
  for (const by of Object.values(flagged)) by.sort();
  return {
    at: new Date(input.nowMs).toISOString(),
    sqs: input.sqs,
    ...(input.control ? { control: input.control } : {}),
    nodes,
    network: toNetwork(
      nodes.map((n) => ({ id: n.id, state: n.state })),
      input.slots.flatMap((s, i) => {
        const snap = s.runner?.snapshot;
        return snap ? [{ id: s.id, state: nodes[i]!.state, peers: snap.peers, senders: snap.senders ?? [] }] : [];
      }),
      input.nowMs,
    ),
    fleet: { flagged },
  };
}

/** The periodic log line's form of a health (see HealthBrief). Pure. */
export function healthBrief(h: Health): HealthBrief {
  return {
    at: h.at,
    sqs: h.sqs,
    ...(h.control ? { control: h.control } : {}),
    nodes: h.nodes.map(({ peers, audits: _audits, events: _events, ...row }) => {
      const byStatus = { alive: 0, suspect: 0, dead: 0 };
      for (const p of peers) byStatus[p.status]++;
      return { ...row, peers: byStatus };
    }),
    network_nodes: h.network?.length ?? 0,
    fleet: h.fleet,
  };
}

/**
 * Three words for a node's state, one per side that knows it:
 * - `SlotView.slot`, the supervisor's: is a worker or process up, waiting to
 *   restart (`restarting`), given up (`failed`), `starting` or `stopped`;
 * - `RunnerState` (runtime/types.ts), the runner's own report from inside a
 *   worker: `starting`, `running`, `degraded` (its SQS calls fail),
 *   `stopping`, `stopped`; command nodes have none;
 * - `NodeState` (health-types.ts), what /health and the table show: the
 *   supervisor's word while the slot is down, the runner's while it is up
 *   (`stopping` shows as `stopped`), `running` for an up command node.
 * This function is the one place the first two become the third.
 */
function nodeState(s: SlotView): NodeState {
  switch (s.slot) {
    case "restarting":
    case "failed":
    case "stopped":
    case "starting":
      return s.slot;
    case "up":
      if (s.kind === "command") return "running";
      switch (s.runner?.state) {
        case undefined:
        case "starting":
          return "starting";
        case "running":
          return "running";
        case "degraded":
          return "degraded";
        case "stopping":
        case "stopped":
          return "stopped";
      }
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function toHealthNode(s: SlotView, nowMs: number): HealthNode {
  const snap = s.runner?.snapshot;
  const transport = s.runner?.transport;
  const peers: HealthPeer[] = (snap?.peers ?? []).map((p) => ({
    id: p.id,
    status: p.status,
    reputation: round2(p.reputation.score),
    agree: round2(p.reputation.agree),
    disagree: round2(p.reputation.disagree),
    reports: p.reputation.reports,
    flagged: p.flagged,
    choked: p.choked,
    choking_us: p.chokingUs,
    rtt_ms: p.rttMs === null ? null : Math.round(p.rttMs),
    last_seen_s_ago: Math.max(0, Math.round((nowMs - p.lastSeenMs) / 1000)),
  }));
  const state = nodeState(s);
  return {
    id: s.id,
    persona: s.persona,
    kind: s.kind,
    state,
    uptime_s: Math.max(0, Math.floor((s.upSinceMs !== null ? nowMs - s.upSinceMs : state === "stopped" ? (s.lastRunMs ?? 0) : 0) / 1000)),
    restarts: s.restarts,
    peers,
    counters: {
      in: { ...(snap?.counters.in ?? {}) },
      out: { ...(snap?.counters.out ?? {}) },
      rejected: { ...(snap?.counters.rejected ?? {}) } as Record<string, number>,
      sqs_requests: { ...(transport?.requests ?? {}) },
      sqs_errors: { ...(transport?.errors ?? {}) },
      duplicates: snap?.counters.duplicates ?? 0,
      dropped: { ...(snap?.counters.dropped ?? {}) } as Record<string, number>,
      url_rejected: { ...(s.runner?.urlRejected ?? {}) },
      journal_errors: { ...(s.runner?.journalErrors ?? {}) },
      ...(s.runner?.journalSyncs ? { journal_syncs: { ...s.runner.journalSyncs } } : {}),
      messages: {
        received: transport?.messagesReceived ?? 0,
        deleted: transport?.messagesDeleted ?? 0,
        sent: transport?.messagesSent ?? 0,
      },
    },
    rtt_p50_ms: snap?.rttP50Ms == null ? null : Math.round(snap.rttP50Ms),
    flags: peers.filter((p) => p.flagged).map((p) => p.id).sort(),
    chokes: peers.filter((p) => p.choked).map((p) => p.id).sort(),
    audits: (snap?.audits ?? []).slice(-HEALTH_AUDITS_MAX).map((a) => ({
      content_id: a.content_id,
      epoch: a.epoch,
      agreed_count: a.agreed_count,
      confidence: a.confidence,
      voters: a.voters,
      at: new Date(a.atMs).toISOString(),
    })),
    events: (s.runner?.recentEvents ?? [])
      .slice(-HEALTH_EVENTS_MAX)
      .map((e) => ({ at: new Date(e.atMs).toISOString(), text: describeEvent(e.event) })),
  };
}

/** One line a person reads, for the health events and the logs. */
export function describeEvent(e: NodeEvent): string {
  switch (e.type) {
    case "peer_added":
      return `peer ${e.peer} joined (via ${e.via})`;
    case "peer_status":
      return `peer ${e.peer} ${e.from} -> ${e.to}`;
    case "peer_forgotten":
      return `peer ${e.peer} forgotten`;
    case "peer_flagged":
      return `flagged ${e.peer} (score ${e.score.toFixed(2)})`;
    case "peer_unflagged":
      return `unflagged ${e.peer} (score ${e.score.toFixed(2)})`;
    case "choke_changed":
      return `${e.choked ? "choked" : "unchoked"} ${e.peer}${e.optimistic ? " (optimistic)" : ""}`;
    case "choking_us_changed":
      return `${e.peer} ${e.choking ? "chokes" : "unchokes"} us`;
    case "rejected":
      return `rejected a message${e.sender ? ` from ${e.sender}` : ""}: ${e.reason} (${e.detail})`;
    case "duplicate":
      return `duplicate ${e.msgId} from ${e.sender}`;
    case "url_rejected":
      return `refused queue URL of ${e.peer}: ${e.reason}`;
    case "dropped":
      return `dropped ${e.count} (${e.what})${e.peer ? ` from ${e.peer}` : ""}`;
    case "joined":
      return `joined the network via ${e.via}`;
    case "audit":
      return `audit ${e.content_id} epoch ${e.epoch}: ${e.agreed_count} (confidence ${e.confidence}, ${e.voters.length} voters)`;
    default:
      return (e as { type: string }).type;
  }
}
