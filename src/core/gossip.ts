import type { PeerEntry } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { sendTo, type Ctx } from "./context.ts";
import { isLive, servedPeers, type Peer } from "./peers.ts";
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
  // Every HELLO is answered with one of these: one pass over the table, no intermediate copies.
  const others: Peer[] = [];
  for (const p of ctx.peers.values()) if (isLive(p) && p.id !== addressee) others.push(p);
  const room = LIMITS.peerListMax - 1;
  const chosen = others.length <= room ? others : sampleInPlace(ctx.rng, others, room);
  return [
    { node_id: ctx.config.id, queue_url: ctx.selfUrl },
    ...chosen.map((p) => ({ node_id: p.id, queue_url: p.queueUrl })),
  ];
}

export function sendPeerList(ctx: Ctx, to: string, queueUrl: string, nowMs: number): void {
  sendTo(ctx, to, queueUrl, "PEER_LIST", nowMs, { peers: peerListFor(ctx, to) });
}

/** §4 gossip: a PEER_LIST to 3 random live peers that we do not choke. */
export function runGossip(ctx: Ctx, nowMs: number): void {
  for (const p of sample(ctx.rng, servedPeers(ctx), LIMITS.gossipFanout)) sendPeerList(ctx, p.id, p.queueUrl, nowMs);
}
