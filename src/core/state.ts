import { z } from "zod";
import { checkQueueUrl, NodeId } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import type { Ctx } from "./context.ts";
import { newPeer, tableAdd } from "./peers.ts";

/** Bumped whenever the shape changes; an unknown version is not restored. */
export const STATE_VERSION = 1;

const Finite = z.number().finite();
const NonNegative = Finite.nonnegative();

/**
 * What a node remembers across a restart: who its peers were, their
 * reputations and who is flagged, so that a liar is not trusted again just
 * because the node restarted.
 */
export const PersistedState = z.object({
  version: z.literal(STATE_VERSION),
  id: NodeId,
  peers: z
    .array(
      z.object({
        id: NodeId,
        queueUrl: z.string().max(2048),
        status: z.enum(["alive", "suspect", "dead"]),
        lastSeenMs: Finite,
        knownSinceMs: Finite,
      }),
    )
    .max(LIMITS.peersMax),
  reputations: z
    .array(z.object({ peer: NodeId, agree: NonNegative, disagree: NonNegative, reports: z.number().int().nonnegative() }))
    .max(LIMITS.reputationsMax),
  flagged: z.array(NodeId).max(LIMITS.reputationsMax),
});
export type PersistedState = z.infer<typeof PersistedState>;

export function exportState(ctx: Ctx): PersistedState {
  return {
    version: STATE_VERSION,
    id: ctx.config.id,
    peers: [...ctx.peers.values()].map((p) => ({
      id: p.id,
      queueUrl: p.queueUrl,
      status: p.status,
      lastSeenMs: p.lastSeenMs,
      knownSinceMs: p.knownSinceMs,
    })),
    reputations: [...ctx.reputations].map(([peer, r]) => ({
      peer,
      agree: r.agree,
      disagree: r.disagree,
      reports: r.reports,
    })),
    flagged: [...ctx.reputations].filter(([, r]) => r.flagged).map(([peer]) => peer),
  };
}

/**
 * Restores a saved state into a fresh node. The state is read with the
 * schema (a file on disk is input like any other); a state that does not
 * parse, or belongs to another node, is ignored and the node starts empty.
 * URLs are checked again: the network may have changed since.
 */
export function restoreState(ctx: Ctx, raw: unknown, nowMs: number): boolean {
  const parsed = PersistedState.safeParse(raw);
  if (!parsed.success || parsed.data.id !== ctx.config.id) return false;
  const state = parsed.data;
  for (const s of state.peers) {
    if (s.id === ctx.config.id || ctx.peers.has(s.id)) continue;
    if (!checkQueueUrl(ctx.config.network, s.queueUrl, s.id).ok) continue;
    // Silence is counted from the restore: the node itself was away, so an
    // old last-seen time says nothing about the peer now. A peer that is
    // really gone turns suspect and dead after the usual heartbeats, and one
    // that is back gets pinged at once instead of every 6th heartbeat.
    const p = newPeer(s.id, s.queueUrl, nowMs);
    p.knownSinceMs = Math.min(s.knownSinceMs, nowMs);
    tableAdd(ctx, p);
  }
  const flagged = new Set(state.flagged);
  for (const r of state.reputations) {
    ctx.reputations.set(r.peer, { ...r, flagged: flagged.has(r.peer), updatedMs: nowMs });
  }
  for (const id of flagged) {
    if (!ctx.reputations.has(id) && ctx.reputations.size < LIMITS.reputationsMax) {
      ctx.reputations.set(id, { agree: 0, disagree: 0, reports: 0, flagged: true, updatedMs: nowMs });
    }
  }
  return true;
}
