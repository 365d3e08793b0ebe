/**
 * From one health reading (and the one before, for rates) to the compact view
 * the page draws. Pure: the caller passes both readings and their times.
 */
import type { Health, HealthNetworkNode, HealthNetworkObservation, HealthNode } from "../health-types.ts";
import {
  FLAG_THRESHOLD,
  PEER_CHOKED,
  PEER_CHOKING_US,
  PEER_FLAGGED,
  type PeerStatusCode,
  type View,
  type ViewAudit,
  type ViewEvent,
  type ViewNetworkNode,
  type ViewNode,
} from "./view-types.ts";


export interface ViewBounds {
  /** Audits shown, newest first, over the whole fleet. */
  auditsMax: number;
  /** State changes shown, newest first, over the whole fleet. */
  eventsMax: number;
}

export const DEFAULT_VIEW_BOUNDS: ViewBounds = { auditsMax: 20, eventsMax: 40 };

export interface Reading {
  health: Health;
  atMs: number;
}

const STATUS_CODE: Record<"alive" | "suspect" | "dead", PeerStatusCode> = { alive: 0, suspect: 1, dead: 2 };

export function buildView(cur: Reading, prev: Reading | null, bounds: ViewBounds = DEFAULT_VIEW_BOUNDS): View {
  const prevById = new Map((prev?.health.nodes ?? []).map((n) => [n.id, n]));
  const dtMs = prev ? cur.atMs - prev.atMs : 0;
  const nodes = cur.health.nodes.map((node): ViewNode => {
    const before = prevById.get(node.id);
    return {
      id: node.id,
      persona: node.persona,
      kind: node.kind,
      state: node.state,
      uptime_s: node.uptime_s,
      restarts: node.restarts,
      in_per_s: before ? ratePerS(sum(before.counters.in), sum(node.counters.in), dtMs) : 0,
      out_per_s: before ? ratePerS(sum(before.counters.out), sum(node.counters.out), dtMs) : 0,
      rejected: sum(node.counters.rejected),
      rtt_p50_ms: node.rtt_p50_ms,
      peers: node.peers.map((p) => [
        p.id,
        STATUS_CODE[p.status],
        Math.round(p.reputation * 1000) / 1000,
        (p.flagged ? PEER_FLAGGED : 0) | (p.choked ? PEER_CHOKED : 0) | (p.choking_us ? PEER_CHOKING_US : 0),
      ]),
    };
  });
  return {
    at: cur.health.at,
    at_ms: cur.atMs,
    sqs: cur.health.sqs,
    nodes,
    flagged: cur.health.fleet.flagged,
    audits: newest(cur.health.nodes.flatMap(auditsOf), bounds.auditsMax),
    events: newest(cur.health.nodes.flatMap(eventsOf), bounds.eventsMax),
    flag_threshold: FLAG_THRESHOLD,
    network: (cur.health.network ?? []).map(networkRow),
  };
}

function networkRow(e: HealthNetworkNode): ViewNetworkNode {
  const seen = Object.entries(e.seen_by);
  const count: [number, number, number] = [0, 0, 0];
  const scores: number[] = [];
  const rtts: number[] = [];
  for (const [, o] of seen) {
    if (o.status !== null) count[STATUS_CODE[o.status]] += 1;
    if (o.reputation) scores.push(o.reputation.score);
    if (o.rtt_p50_ms !== null) rtts.push(o.rtt_p50_ms);
  }
  const by = (pick: (o: HealthNetworkObservation) => boolean) => seen.filter(([, o]) => pick(o)).map(([id]) => id).sort();
  rtts.sort((a, b) => a - b);
  return {
    id: e.id,
    fleet: e.fleet,
    state: e.state ?? null,
    seen: count,
    heard_s_ago: e.heard_s_ago ?? (seen.length ? Math.min(...seen.map(([, o]) => o.last_seen_s_ago ?? Infinity)) : null),
    rtt_p50_ms: rtts.length ? rtts[rtts.length >> 1]! : null,
    reputation: scores.length ? [Math.min(...scores), Math.max(...scores)] : null,
    flagged_by: by((o) => o.flagged),
    choked_by: by((o) => o.choked),
    chokes: by((o) => o.chokes_observer),
    received: sum(e.received),
    rejected: e.rejected,
    last_rejection: e.last_rejection,
  };
}

/**
 * Per-second rate of a counter between two readings. A counter that went down
 * was reset by a restart, so everything it now holds is new (as Prometheus's
 * rate() reads a reset).
 */
export function ratePerS(before: number, after: number, dtMs: number): number {
  if (dtMs <= 0) return 0;
  const delta = after >= before ? after - before : after;
  return Math.round((delta * 1000 * 10) / dtMs) / 10;
}

function sum(record: Record<string, number>): number {
  let total = 0;
  for (const v of Object.values(record)) total += v;
  return total;
}

function auditsOf(node: HealthNode): ViewAudit[] {
  return node.audits.map((a) => ({ node: node.id, ...a }));
}

function eventsOf(node: HealthNode): ViewEvent[] {
  return node.events.map((e) => ({ node: node.id, at: e.at, text: e.text }));
}

/** Newest first by ISO time, at most `max`; ties keep node order so the page does not shuffle. */
function newest<T extends { at: string }>(items: T[], max: number): T[] {
  return items
    .map((item, i) => ({ item, i, ms: Date.parse(item.at) }))
    .sort((a, b) => (b.ms || 0) - (a.ms || 0) || a.i - b.i)
    .slice(0, max)
    .map((x) => x.item);
}
