import { checkQueueUrl, queueUrlOf, type PeerEntry } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { drop, emit, sendTo, type Ctx } from "./context.ts";
import { partnerIds } from "./partners.ts";
import type { NodeEvent, PeerStatus } from "./types.ts";

/**
 * docs/protocol.md §3 and §5: the peers table. Keyed by a Map so that ids such as
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
  /** The last LIMITS.rttSamplesMax round trips, oldest first. */
  rttsMs: number[];
  /**
   * PINGs awaiting their PONG, oldest first, as (seq, sent time) pairs in
   * one array: at most LIMITS.pendingPingsMax, mostly none or one, where a
   * Map per peer cost a 1,000-node run half a million Maps.
   */
  pendingPings: number[];
  /** Last valid VIEW_EVENT or AUDIT_RESULT (§4.4), or null. */
  lastContributionMs: number | null;
  /** We choke this peer. */
  choked: boolean;
  /** This peer told us it chokes us. */
  chokingUs: boolean;
  /** When we last sent it CHOKE or UNCHOKE; null if never. */
  chokeToldMs: number | null;
  /** First PING sent since it was last heard from; null while none waits (probe.ts). */
  awaitingSinceMs: number | null;
  /** Highest incarnation heard for it (rumours.ts); 0 until it refutes a suspicion. */
  incarnation: number;
  /** Its place in this node's partner order (partners.ts); computed once. */
  pairRank: number;
  /** Its index in `Ctx.peerSlots`. */
  slot: number;
  /**
   * Its entry in the PEER_LISTs we send, made once and shared by every list
   * while its URL stays the same: a 1,000-node network sends some 20 million
   * entries a virtual minute. Messages are never changed once built.
   */
  listEntry: PeerEntry | null;
}

export type PeerTable = Map<string, Peer>;

/** The peer as a PEER_LIST entry (id and URL only). */
export function listEntryOf(p: Peer): PeerEntry {
  const e = p.listEntry;
  if (e !== null && e.queue_url === p.queueUrl) return e;
  return (p.listEntry = { node_id: p.id, queue_url: p.queueUrl });
}

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
    rttsMs: [],
    pendingPings: [],
    lastContributionMs: null,
    choked: false,
    chokingUs: false,
    chokeToldMs: null,
    awaitingSinceMs: null,
    incarnation: 0,
    pairRank: -1,
    slot: -1,
    listEntry: null,
  };
}

/** Puts a new peer in the table and in the slot array that random picks use. */
export function tableAdd(ctx: Ctx, p: Peer): void {
  ctx.peers.set(p.id, p);
  p.slot = ctx.peerSlots.length;
  ctx.peerSlots.push(p);
  if (p.slot >= ctx.slotLive.length) {
    const grown = new Uint8Array(2 * ctx.slotLive.length + 1);
    grown.set(ctx.slotLive);
    ctx.slotLive = grown;
  }
  ctx.slotLive[p.slot] = isLive(p) ? 1 : 0;
  ctx.slotEntries.push(null);
  ctx.partners.dirty = true;
}

function tableDelete(ctx: Ctx, p: Peer): void {
  ctx.peers.delete(p.id);
  const last = ctx.peerSlots.pop()!;
  const lastLive = ctx.slotLive[last.slot]!;
  const lastEntry = ctx.slotEntries.pop()!;
  if (last !== p) {
    ctx.peerSlots[p.slot] = last;
    last.slot = p.slot;
    ctx.slotLive[p.slot] = lastLive;
    ctx.slotEntries[p.slot] = lastEntry;
  }
  p.slot = -1;
  ctx.partners.dirty = true;
}

/** Whether `p` is the peer in its slot: a peer object outlives its place in the table. */
function inTable(ctx: Ctx, p: Peer): boolean {
  return p.slot >= 0 && ctx.peerSlots[p.slot] === p;
}

/** A new URL for a known peer; its PEER_LIST entry is made again. */
export function setQueueUrl(ctx: Ctx, p: Peer, url: string): void {
  if (p.queueUrl === url) return;
  p.queueUrl = url;
  if (inTable(ctx, p)) ctx.slotEntries[p.slot] = null;
}

/** The PEER_LIST entry of the peer in slot `i`. */
export function slotEntry(ctx: Ctx, i: number): PeerEntry {
  return (ctx.slotEntries[i] ??= listEntryOf(ctx.peerSlots[i]!));
}

/** alive and suspect peers: the ones gossiped, served and listed (§4). */
export function isLive(p: Peer): boolean {
  return p.status !== "dead";
}

/** Whether a newcomer would be turned away: the table is full and no dead peer can make room. */
export function tableFull(ctx: Ctx): boolean {
  return ctx.peers.size >= LIMITS.peersMax && ctx.deadPeers === 0;
}

/**
 * The peers this node serves (§4.4): live partners (partners.ts) not choked
 * by us. Views and audit results go only to these; liveness and discovery
 * answers go to anyone. While the live peers fit in the partner bound,
 * every live peer is a partner.
 */
export function servedPeers(ctx: Ctx): Peer[] {
  const partners = partnerIds(ctx);
  const out: Peer[] = [];
  for (const p of ctx.peers.values()) if (isLive(p) && !p.choked && (partners === null || partners.has(p.id))) out.push(p);
  return out;
}

/** Who gossip may go to: live peers we do not choke, partners or not, so that news mixes across the network. */
export function gossipTargets(ctx: Ctx): Peer[] {
  const out: Peer[] = [];
  for (const p of ctx.peers.values()) if (isLive(p) && !p.choked) out.push(p);
  return out;
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
  tableAdd(ctx, peer);
  emit(ctx, { type: "peer_added", peer: id, via });
  return peer;
}

function evictLongestDead(ctx: Ctx): boolean {
  // A full table of live peers turns newcomers away often (a large fleet): skip the scan then.
  if (ctx.deadPeers === 0) return false;
  let oldest: Peer | null = null;
  for (const p of ctx.peers.values()) {
    if (p.status === "dead" && (oldest === null || p.lastSeenMs < oldest.lastSeenMs)) oldest = p;
  }
  if (oldest === null) return false;
  forgetPeer(ctx, oldest.id);
  return true;
}

export function forgetPeer(ctx: Ctx, id: string): void {
  const p = ctx.peers.get(id);
  if (p === undefined) return;
  if (p.status === "dead") ctx.deadPeers--;
  tableDelete(ctx, p);
  if (ctx.optimisticPeer === id) ctx.optimisticPeer = null;
  emit(ctx, { type: "peer_forgotten", peer: id });
}

export function setStatus(ctx: Ctx, p: Peer, to: PeerStatus): void {
  if (p.status === to) return;
  emit(ctx, { type: "peer_status", peer: p.id, from: p.status, to });
  if (p.status === "dead") ctx.deadPeers--;
  if (to === "dead") ctx.deadPeers++;
  if (p.status === "dead" || to === "dead") ctx.partners.dirty = true;
  p.status = to;
  if (inTable(ctx, p)) ctx.slotLive[p.slot] = to === "dead" ? 0 : 1;
  if (to !== "dead") p.deadBeats = 0;
}

/**
 * §3: any message from a peer is a sign of life. A peer back from silence
 * may have missed the last CHOKE or UNCHOKE we sent while it was out of
 * reach (CHOKE/UNCHOKE go out only on change, so nothing would repeat it):
 * it is told our current state again.
 */
export function heardFrom(ctx: Ctx, p: Peer, nowMs: number): void {
  const back = p.status !== "alive";
  const lastHeardMs = p.lastSeenMs;
  p.lastSeenMs = Math.max(p.lastSeenMs, nowMs);
  p.awaitingSinceMs = null;
  // A suspicion of it we hold is spent: spreading it further would only make others doubt a live peer.
  const rumour = ctx.rumours.get(p.id);
  if (rumour !== undefined && rumour.status !== "alive") rumour.sendsLeft = 0;
  setStatus(ctx, p, "alive");
  if (back && p.chokeToldMs !== null && p.chokeToldMs >= lastHeardMs) tellChoke(ctx, p, nowMs);
}

/** Sends the peer our current choke state. */
export function tellChoke(ctx: Ctx, p: Peer, nowMs: number): void {
  p.chokeToldMs = nowMs;
  sendTo(ctx, p.id, p.queueUrl, p.choked ? "CHOKE" : "UNCHOKE", nowMs, {});
}
