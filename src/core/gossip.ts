import type { PeerEntry } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { sendTo, type Ctx } from "./context.ts";
import { gossipTargets, isLive, listEntryOf, slotEntry, type Peer } from "./peers.ts";
import { rumourEntries } from "./rumours.ts";
import type { Rng } from "./rng.ts";

/** Up to `n` distinct items, uniformly, in a random order (partial Fisher–Yates). */
export function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  return sampleInPlace(rng, [...items], n);
}

/** `sample` on an array the caller owns and gives up: no copy of a 500-peer table per PEER_LIST. */
export function sampleInPlace<T>(rng: Rng, a: T[], n: number): T[] {
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/**
 * A PEER_LIST as §3 shapes it: its sender first, then live peers, at most 50
 * entries in all. The addressee is left out: it knows itself.
 */
export function peerListFor(ctx: Ctx, addressee: string): PeerEntry[] {
  // Our own entry carries our incarnation once we had to refute a suspicion (rumours.ts).
  const self: PeerEntry =
    ctx.incarnation > 0
      ? { node_id: ctx.config.id, queue_url: ctx.selfUrl, incarnation: ctx.incarnation }
      : { node_id: ctx.config.id, queue_url: ctx.selfUrl };
  // News first (none in a small network), then a sample of the live peers.
  const news = rumourEntries(ctx, addressee);
  const listed = news.length === 0 ? null : new Set(news.map((e) => e.node_id));
  const room = LIMITS.peerListMax - 1 - news.length;
  // The addressee by identity: comparing ids reads a string for every draw, a cache miss in a large run.
  const addresseePeer = ctx.peers.get(addressee);
  const eligible = listed === null ? (p: Peer) => isLive(p) && p !== addresseePeer : (p: Peer) => isLive(p) && p !== addresseePeer && !listed.has(p.id);
  const chosen = ctx.peers.size > PICK_FROM_SLOTS_MIN ? pickFromSlots(ctx, room, addresseePeer?.slot ?? -1, listed) : null;
  if (chosen !== null) return [self, ...news, ...chosen];
  // Every HELLO is answered with one of these: one pass over the table, no intermediate copies.
  const others: Peer[] = [];
  for (const p of ctx.peers.values()) if (eligible(p)) others.push(p);
  const picked = others.length <= room ? others : sampleInPlace(ctx.rng, others, room);
  return [self, ...news, ...picked.map(listEntryOf)];
}

/** Past this many peers a PEER_LIST is drawn from random slots rather than from a copy of the table. */
export const PICK_FROM_SLOTS_MIN = 200;

/**
 * Slots already drawn by the current pick: slot i was drawn when
 * `drawnAt[i] === drawMark`. One array for every node of the thread (a pick
 * runs to its end before another starts, and each starts a new mark), in
 * place of a Set allocated and filled for each of a million PEER_LISTs.
 */
let drawnAt = new Uint32Array(512);
let drawMark = 0;

/**
 * The entries of `n` distinct eligible peers (live, not in slot `skip`, not
 * `listed`) drawn at random slots, or null when the draws keep missing (most
 * of the table is dead): the caller then scans. A large table is mostly
 * eligible, so this costs about `n` draws, not a pass over 500 peers for
 * every HELLO answered, and reads the slot arrays, not the peers.
 */
function pickFromSlots(ctx: Ctx, n: number, skip: number, listed: ReadonlySet<string> | null): PeerEntry[] | null {
  const slots = ctx.peerSlots;
  const live = ctx.slotLive;
  const chosen: PeerEntry[] = [];
  if (drawnAt.length < slots.length) drawnAt = new Uint32Array(Math.max(slots.length, 2 * drawnAt.length));
  // A fresh mark per call; after 2^32 calls the marks wrap, so they are cleared first.
  if (++drawMark === 0x1_0000_0000) {
    drawnAt.fill(0);
    drawMark = 1;
  }
  for (let draws = 0; chosen.length < n && draws < 4 * n; draws++) {
    const i = ctx.rng.int(slots.length);
    if (drawnAt[i] === drawMark) continue;
    drawnAt[i] = drawMark;
    if (live[i] === 0 || i === skip || (listed !== null && listed.has(slots[i]!.id))) continue;
    chosen.push(slotEntry(ctx, i));
  }
  return chosen.length < n ? null : chosen;
}

export function sendPeerList(ctx: Ctx, to: string, queueUrl: string, nowMs: number): void {
  sendTo(ctx, to, queueUrl, "PEER_LIST", nowMs, { peers: peerListFor(ctx, to) });
}

/** §4 gossip: a PEER_LIST to 3 random live peers that we do not choke, partners or not. */
export function runGossip(ctx: Ctx, nowMs: number): void {
  for (const p of sample(ctx.rng, gossipTargets(ctx), LIMITS.gossipFanout)) sendPeerList(ctx, p.id, p.queueUrl, nowMs);
}
