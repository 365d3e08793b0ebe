import type { PeerEntry } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { sendTo, type Ctx } from "./context.ts";
import { isLive, type Peer } from "./peers.ts";
import type { Rng } from "./rng.ts";

/** Up to `n` distinct items, uniformly, in a random order (partial Fisher–Yates). */
export function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const a = [...items];
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
  const others = [...ctx.peers.values()].filter((p) => isLive(p) && p.id !== addressee);
  const room = LIMITS.peerListMax - 1;
  const chosen = others.length <= room ? others : sample(ctx.rng, others, room);
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
  const candidates: Peer[] = [...ctx.peers.values()].filter((p) => isLive(p) && !p.choked);
  for (const p of sample(ctx.rng, candidates, LIMITS.gossipFanout)) sendPeerList(ctx, p.id, p.queueUrl, nowMs);
}
