import type { PeerEntry } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { sendTo, type Ctx } from "./context.ts";
import { heardFrom, setStatus, type Peer } from "./peers.ts";
import { silenceMs } from "./failure.ts";
import type { PeerStatus } from "./types.ts";

/**
 * Rumours (docs/protocol.md, SCALE-5..6): in a large network a node PINGs
 * each peer only now and then, so what one prober finds out (a peer stopped
 * answering) rides on PEER_LISTs to the others, as entries with `status`
 * and `incarnation`. A node takes a rumour only as far as its own evidence
 * allows: a suspicion of a peer it heard from within 3 heartbeats is not
 * taken, only checked with a PING, so that nobody can talk a live peer into
 * death. A node rumoured suspect refutes it with a higher incarnation.
 */
export interface Rumour {
  peer: string;
  status: PeerStatus;
  incarnation: number;
  /** PEER_LISTs it may still ride on; 0 once spent (kept, so that its echoes are known). */
  sendsLeft: number;
  heardMs: number;
}

/** By peer id, its latest rumour; the Map's order is oldest first. */
export type RumourTable = Map<string, Rumour>;

const RANK: Record<PeerStatus, number> = { alive: 0, suspect: 1, dead: 2 };

/** Whether a claim (status, incarnation) supersedes another: a higher incarnation, or the same with a worse status. */
export function supersedes(a: { status: PeerStatus; incarnation: number }, b: { status: PeerStatus; incarnation: number }): boolean {
  return a.incarnation > b.incarnation || (a.incarnation === b.incarnation && RANK[a.status] > RANK[b.status]);
}

/** Keeps a rumour to spread, unless one held already says as much; true when it is news. */
export function keepRumour(ctx: Ctx, peer: string, status: PeerStatus, incarnation: number, nowMs: number): boolean {
  const held = ctx.rumours.get(peer);
  if (held && !supersedes({ status, incarnation }, held)) return false;
  ctx.rumours.delete(peer);
  if (ctx.rumours.size >= ctx.scale.rumours) {
    const oldest = ctx.rumours.keys().next();
    if (!oldest.done) ctx.rumours.delete(oldest.value);
  }
  ctx.rumours.set(peer, { peer, status, incarnation, sendsLeft: ctx.scale.rumour_sends, heardMs: nowMs });
  return true;
}

/**
 * A heartbeat of ours found a peer suspect or dead. In a small network
 * everyone pings everyone and no rumour is needed; past the probe bound,
 * the news is spread.
 */
export function localStatusChanged(ctx: Ctx, p: Peer, nowMs: number): void {
  if (ctx.probingAll || p.status === "alive") return;
  keepRumour(ctx, p.id, p.status, p.incarnation, nowMs);
}

/** Forgets rumours older than `rumour_keep_beats`; the table is oldest first, so this stops at the first young one. */
export function ageRumours(ctx: Ctx, nowMs: number): void {
  const keepMs = ctx.scale.rumour_keep_beats * ctx.config.timing.heartbeatMs;
  for (const [peer, r] of ctx.rumours) {
    if (nowMs - r.heardMs < keepMs) break;
    ctx.rumours.delete(peer);
  }
}

/**
 * The rumours for one PEER_LIST, at most `rumours_per_list`, each counted
 * as one of its sends. A suspicion of the addressee is sent to it too: that
 * is how a suspected node learns to refute.
 */
export function rumourEntries(ctx: Ctx, addressee: string): PeerEntry[] {
  const out: PeerEntry[] = [];
  if (ctx.rumours.size === 0) return out;
  const max = ctx.scale.rumours_per_list;
  for (const r of ctx.rumours.values()) {
    if (out.length >= max) break;
    if (r.sendsLeft <= 0 || (r.peer === addressee && r.status === "alive")) continue;
    const url = ctx.peers.get(r.peer)?.queueUrl;
    if (url === undefined) continue;
    r.sendsLeft--;
    out.push({ node_id: r.peer, queue_url: url, status: r.status, incarnation: r.incarnation });
  }
  return out;
}

/**
 * A PEER_LIST entry with a status, about a peer we know. Stale claims (an
 * incarnation below the one we know) change nothing. A refutation (alive,
 * higher incarnation) clears a suspicion. A suspicion or death is taken as
 * far as our own silence of that peer reaches, and spread on; short of
 * that, the peer is PINGed at the next heartbeat.
 */
export function onRumour(ctx: Ctx, p: Peer, status: PeerStatus, incarnation: number, nowMs: number): void {
  if (incarnation < p.incarnation) return;
  const { heartbeatMs } = ctx.config.timing;
  if (status === "alive") {
    if (incarnation === p.incarnation) return;
    p.incarnation = incarnation;
    keepRumour(ctx, p.id, "alive", incarnation, nowMs);
    // The peer itself spoke up, if not to us: a sign of life at one remove.
    if (p.status !== "alive") heardFrom(ctx, p, nowMs);
    return;
  }
  p.incarnation = incarnation;
  // Our own silence as SCALE-3 measures it: a peer we have not asked since it last spoke is not
  // silent to us, however long ago that was (a prober across a healed partition may still call it dead).
  const heldMs = silenceMs(p, nowMs, heartbeatMs);
  const reach: PeerStatus =
    heldMs >= LIMITS.deadAfterBeats * heartbeatMs ? "dead" : heldMs >= LIMITS.suspectAfterBeats * heartbeatMs ? "suspect" : "alive";
  const taken: PeerStatus = RANK[reach] < RANK[status] ? reach : status;
  if (taken === "alive") {
    urgentProbe(ctx, p.id);
    return;
  }
  if (RANK[taken] > RANK[p.status]) setStatus(ctx, p, taken);
  if (keepRumour(ctx, p.id, taken, incarnation, nowMs) && taken !== "dead") urgentProbe(ctx, p.id);
}

function urgentProbe(ctx: Ctx, id: string): void {
  const urgent = ctx.probe.urgent;
  if (urgent.has(id)) return;
  // Bounded like the rumours that feed it.
  if (urgent.size >= ctx.scale.rumours) {
    const first = urgent.values().next();
    if (!first.done) urgent.delete(first.value);
  }
  urgent.add(id);
}

/**
 * We are rumoured suspect or dead at an incarnation not below ours: we are
 * alive, so we say so with a higher one, in our own entry of every
 * PEER_LIST from now on (its receivers pass it on as a rumour), and at once
 * to whoever told us.
 */
export function refute(ctx: Ctx, incarnation: number, toldBy: Peer | undefined, nowMs: number): void {
  if (incarnation < ctx.incarnation) return;
  ctx.incarnation = incarnation + 1;
  if (toldBy) {
    sendTo(ctx, toldBy.id, toldBy.queueUrl, "PEER_LIST", nowMs, {
      peers: [{ node_id: ctx.config.id, queue_url: ctx.selfUrl, incarnation: ctx.incarnation }],
    });
  }
}
