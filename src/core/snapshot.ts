import type { Ctx } from "./context.ts";
import { reputationOf, reputationSnapshot } from "./reputation-table.ts";
import type { NodeSnapshot, PeerSnapshot } from "./types.ts";

/** The median of a few numbers, or null for none. */
export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The node for health reporting. Bounded by the peers table (500) and the
 * recent audits (20); copies only, so a caller cannot change the node.
 */
export function snapshotOf(ctx: Ctx, nowMs: number): NodeSnapshot {
  const peers: PeerSnapshot[] = [];
  const rtts: number[] = [];
  for (const p of ctx.peers.values()) {
    const rep = reputationOf(ctx, p.id);
    if (p.rttMs !== null) rtts.push(p.rttMs);
    peers.push({
      id: p.id,
      queueUrl: p.queueUrl,
      status: p.status,
      lastSeenMs: p.lastSeenMs,
      knownSinceMs: p.knownSinceMs,
      rttMs: p.rttMs,
      rttP50Ms: median(p.rttsMs),
      reputation: reputationSnapshot(rep),
      flagged: rep.flagged,
      choked: p.choked,
      chokingUs: p.chokingUs,
    });
  }
  const c = ctx.counters;
  return {
    id: ctx.config.id,
    persona: ctx.config.persona,
    atMs: nowMs,
    peers,
    counters: {
      in: { ...c.in },
      out: { ...c.out },
      rejected: { ...c.rejected },
      urlRejected: c.urlRejected,
      duplicates: c.duplicates,
      dropped: { ...c.dropped },
    },
    rttP50Ms: median(rtts),
    audits: ctx.audits.map((a) => ({ ...a, voters: [...a.voters] })),
    peerAudits: ctx.peerAudits.map((a) => ({ ...a, voters: [...a.voters] })),
    senders: ctx.senders.snapshot(),
  };
}
