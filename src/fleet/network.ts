import { LIMITS } from "../core/config.ts";
import type { PeerSnapshot, SenderSnapshot } from "../core/types.ts";
import type { HealthNetworkNode, HealthNetworkObservation, NodeState } from "./health-types.ts";

/** What one fleet node reports, as the network view reads it. */
export interface NetworkObserver {
  id: string;
  state: NodeState;
  peers: readonly PeerSnapshot[];
  senders: readonly SenderSnapshot[];
}

/** Entries of `/health`'s network at most: the peer table's size, whatever the fleet's nodes know together. */
export const NETWORK_NODES_MAX = LIMITS.peersMax;

const round2 = (x: number) => Math.round(x * 100) / 100;
const secondsAgo = (nowMs: number, atMs: number) => Math.max(0, Math.round((nowMs - atMs) / 1000));

function add(into: Record<string, number>, from: Partial<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) if (v) into[k] = (into[k] ?? 0) + v;
}

/**
 * The class's network as the fleet sees it: one entry per node that any
 * fleet node knows (in its peer table, or by a message that named it), each
 * with what every observer sees of it and what it sent wrong. Fleet nodes
 * come first, in fleet order, then the others by id; past NETWORK_NODES_MAX
 * the ones heard from least recently are left out. Pure.
 */
export function toNetwork(fleet: readonly { id: string; state: NodeState }[], observers: readonly NetworkObserver[], nowMs: number): HealthNetworkNode[] {
  const entries = new Map<string, HealthNetworkNode & { heardMs: number }>();
  const fleetIds = new Set(fleet.map((f) => f.id));
  const entry = (id: string) => {
    let e = entries.get(id);
    if (!e) {
      e = { id, fleet: fleetIds.has(id), seen_by: {}, heard_s_ago: null, received: {}, rejected: {}, rejected_total: 0, last_rejection: null, heardMs: -Infinity };
      entries.set(id, e);
    }
    return e;
  };
  for (const f of fleet) entry(f.id).state = f.state;
  const blank = (): HealthNetworkObservation => ({
    status: null,
    last_seen_s_ago: null,
    rtt_p50_ms: null,
    reputation: null,
    flagged: false,
    choked: false,
    chokes_observer: false,
    received: {},
    rejected: {},
  });
  for (const o of observers) {
    for (const p of o.peers) {
      const e = entry(p.id);
      const seen = (e.seen_by[o.id] ??= blank());
      seen.status = p.status;
      seen.last_seen_s_ago = secondsAgo(nowMs, p.lastSeenMs);
      seen.rtt_p50_ms = p.rttP50Ms === null ? null : Math.round(p.rttP50Ms);
      seen.reputation = { score: round2(p.reputation.score), agree: round2(p.reputation.agree), disagree: round2(p.reputation.disagree), reports: p.reputation.reports };
      seen.flagged = p.flagged;
      seen.choked = p.choked;
      seen.chokes_observer = p.chokingUs;
      e.heardMs = Math.max(e.heardMs, p.lastSeenMs);
    }
    for (const s of o.senders) {
      if (s.id === o.id) continue;
      const e = entry(s.id);
      const seen = (e.seen_by[o.id] ??= blank());
      add(seen.received, s.in);
      add(seen.rejected, s.rejected);
      add(e.received, s.in);
      add(e.rejected, s.rejected);
      e.heardMs = Math.max(e.heardMs, s.lastHeardMs);
      const heard = secondsAgo(nowMs, s.lastHeardMs);
      e.heard_s_ago = e.heard_s_ago === null ? heard : Math.min(e.heard_s_ago, heard);
      const last = s.lastRejection;
      if (last && (e.last_rejection === null || Date.parse(e.last_rejection.at) < last.atMs)) {
        e.last_rejection = { observer: o.id, reason: last.reason, detail: last.detail, body: last.body, at: new Date(last.atMs).toISOString() };
      }
    }
  }
  const all = [...entries.values()];
  for (const e of all) e.rejected_total = Object.values(e.rejected).reduce((a, b) => a + b, 0);
  const inFleet = fleet.map((f) => entries.get(f.id)!);
  const others = all.filter((e) => !e.fleet);
  const room = Math.max(0, NETWORK_NODES_MAX - inFleet.length);
  const kept = others.length > room ? [...others].sort((a, b) => b.heardMs - a.heardMs).slice(0, room) : others;
  kept.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...inFleet, ...kept].map(({ heardMs: _h, ...e }) => e);
}
