import { checkQueueUrl, queueUrlOf } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { drop, emit, type Ctx } from "./context.ts";
import type { NodeEvent, PeerStatus } from "./types.ts";

/**
 * PROTOCOL.md §3: the peers table. Keyed by a Map so that ids such as
 * `constructor` are only ever data.
 */
export interface Peer {
  id: string;
  /** Always an allowed URL: checked before it is stored. */
  queueUrl: string;
  status: PeerStatus;
  /** Last message from the peer, or when it was added if it never spoke. */
  lastSeenMs: number;
  knownSinceMs: number;
  /** Start of the newcomer's grace (§4.4); a restart gives everyone a fresh one. */
  graceFromMs: number;
  /** Heartbeats spent dead, for the every-6th ping and the forget-after-30 rule. */
  deadBeats: number;
  rttMs: number | null;
  /** seq -> sent time of PINGs awaiting their PONG, oldest first. */
  pendingPings: Map<number, number>;
  /** Last valid VIEW_EVENT or AUDIT_RESULT (§4.4), or null. */
  lastContributionMs: number | null;
  /** We choke this peer. */
  choked: boolean;
  /** This peer told us it chokes us. */
  chokingUs: boolean;
}

export type PeerTable = Map<string, Peer>;

export function newPeer(id: string, queueUrl: string, nowMs: number): Peer {
  return {
    id,
    queueUrl,
    status: "alive",
    lastSeenMs: nowMs,
    knownSinceMs: nowMs,
    graceFromMs: nowMs,
    deadBeats: 0,
    rttMs: null,
    pendingPings: new Map(),
    lastContributionMs: null,
    choked: false,
    chokingUs: false,
  };
}

/** alive and suspect peers: the ones gossiped, served and listed (§4). */
export function isLive(p: Peer): boolean {
  return p.status !== "dead";
}

export function livePeers(ctx: Ctx): Peer[] {
  return [...ctx.peers.values()].filter(isLive);
}

/**
 * Where to send to `id`: its announced URL when our network allows it for
 * that id, else its naming-scheme URL. A refused URL is counted and logged.
 */
export function replyUrl(ctx: Ctx, id: string, announced: string | undefined): string {
  if (announced === undefined) return queueUrlOf(ctx.config.network, id);
  const verdict = checkQueueUrl(ctx.config.network, announced, id);
  if (verdict.ok) return verdict.url;
  urlRejected(ctx, id, announced, verdict.reason);
  return queueUrlOf(ctx.config.network, id);
}

export function urlRejected(ctx: Ctx, peer: string, url: string, reason: string): void {
  ctx.counters.urlRejected++;
  emit(ctx, { type: "url_rejected", peer, url: url.slice(0, 200), reason });
}

/**
 * Adds a peer, or returns null when the table is full. A full table first
 * makes room by forgetting the peer dead the longest: a flood of invented
 * ids must not lock real newcomers out for good.
 */
export function addPeer(
  ctx: Ctx,
  id: string,
  queueUrl: string,
  nowMs: number,
  via: Extract<NodeEvent, { type: "peer_added" }>["via"],
): Peer | null {
  if (id === ctx.config.id) return null;
  const known = ctx.peers.get(id);
  if (known) return known;
  if (ctx.peers.size >= LIMITS.peersMax && !evictLongestDead(ctx)) {
    drop(ctx, "peers_table_full", 1, id);
    return null;
  }
  const peer = newPeer(id, queueUrl, nowMs);
  ctx.peers.set(id, peer);
  emit(ctx, { type: "peer_added", peer: id, via });
  return peer;
}

function evictLongestDead(ctx: Ctx): boolean {
  let oldest: Peer | null = null;
  for (const p of ctx.peers.values()) {
    if (p.status === "dead" && (oldest === null || p.lastSeenMs < oldest.lastSeenMs)) oldest = p;
  }
  if (oldest === null) return false;
  forgetPeer(ctx, oldest.id);
  return true;
}

export function forgetPeer(ctx: Ctx, id: string): void {
  if (!ctx.peers.delete(id)) return;
  if (ctx.optimisticPeer === id) ctx.optimisticPeer = null;
  emit(ctx, { type: "peer_forgotten", peer: id });
}

export function setStatus(ctx: Ctx, p: Peer, to: PeerStatus): void {
  if (p.status === to) return;
  emit(ctx, { type: "peer_status", peer: p.id, from: p.status, to });
  p.status = to;
  if (to !== "dead") p.deadBeats = 0;
}

/** §3: any message from a peer is a sign of life. */
export function heardFrom(ctx: Ctx, p: Peer, nowMs: number): void {
  p.lastSeenMs = Math.max(p.lastSeenMs, nowMs);
  setStatus(ctx, p, "alive");
}
