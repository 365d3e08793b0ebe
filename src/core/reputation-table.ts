import { LIMITS } from "./config.ts";
import { emit, type Ctx } from "./context.ts";
import { FRESH_REPUTATION, recordOutcome, score, type Reputation } from "./reputation.ts";
import type { ReputationSnapshot } from "./types.ts";

/**
 * Reputations by peer id. Kept apart from the peers table on purpose: a peer
 * forgotten after a long silence comes back with its old score, so going
 * quiet never washes a flag away.
 */
export type ReputationTable = Map<string, Reputation & { updatedMs: number }>;

export function reputationOf(ctx: Ctx, id: string): Reputation {
  return ctx.reputations.get(id) ?? FRESH_REPUTATION;
}

export function isFlagged(ctx: Ctx, id: string): boolean {
  return ctx.reputations.get(id)?.flagged ?? false;
}

export function reputationSnapshot(r: Reputation): ReputationSnapshot {
  return { score: round4(score(r)), agree: round4(r.agree), disagree: round4(r.disagree), reports: r.reports };
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Records one audited report of `id` and announces a flag change. */
export function recordAudited(ctx: Ctx, id: string, agreed: boolean, nowMs: number): void {
  const before = reputationOf(ctx, id);
  const after = recordOutcome(before, agreed);
  if (!ctx.reputations.has(id)) makeRoom(ctx);
  ctx.reputations.delete(id); // re-insert: the Map's order is then least recently updated first
  ctx.reputations.set(id, { ...after, updatedMs: nowMs });
  if (after.flagged !== before.flagged) {
    const s = round4(score(after));
    emit(ctx, after.flagged ? { type: "peer_flagged", peer: id, score: s } : { type: "peer_unflagged", peer: id, score: s });
  }
}

/** At the bound, the least recently updated unflagged entry goes; flags are what must survive. */
function makeRoom(ctx: Ctx): void {
  if (ctx.reputations.size < LIMITS.reputationsMax) return;
  for (const [id, r] of ctx.reputations) {
    if (!r.flagged) {
      ctx.reputations.delete(id);
      return;
    }
  }
  const first = ctx.reputations.keys().next();
  if (!first.done) ctx.reputations.delete(first.value);
}
