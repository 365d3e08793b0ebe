import { LIMITS } from "./config.ts";
import { emit, type Ctx } from "./context.ts";
import { sample } from "./gossip.ts";
import { partnerIds, partnersRechoked } from "./partners.ts";
import { isLive, tellChoke, type Peer } from "./peers.ts";
import { isFlagged } from "./reputation-table.ts";

/** What the rechoke rule of docs/protocol.md §10 looks at for one peer. */
export interface ChokeFacts {
  live: boolean;
  flagged: boolean;
  /** Sent a valid VIEW_EVENT or AUDIT_RESULT in the last 6 rechoke intervals. */
  contributed: boolean;
  /** Known for less than 6 rechoke intervals. */
  newcomer: boolean;
}

/** Unchoked on its own merit: live, unflagged, and a contributor or a newcomer. */
export function earnsUnchoke(f: ChokeFacts): boolean {
  return f.live && !f.flagged && (f.contributed || f.newcomer);
}

/** May hold the optimistic slot: live and unflagged, whatever it contributed. */
export function mayBeOptimistic(f: ChokeFacts): boolean {
  return f.live && !f.flagged;
}

export function chokeFacts(ctx: Ctx, p: Peer, nowMs: number): ChokeFacts {
  const { rechokeMs } = ctx.config.timing;
  return {
    live: isLive(p),
    flagged: isFlagged(ctx, p.id),
    contributed: p.lastContributionMs !== null && nowMs - p.lastContributionMs <= LIMITS.contributionIntervals * rechokeMs,
    newcomer: nowMs - p.graceFromMs < LIMITS.graceIntervals * rechokeMs,
  };
}

/**
 * The peers a rechoke decides for: every peer while the live ones fit in
 * the partner bound (a small network, as §4.4 says), else the partners and
 * whoever is still choked, so that a peer that left the partners while
 * choked is not left believing so for good. A peer outside both is not
 * served views and is not told CHOKE: it was never a partner to withhold from.
 */
export function chokeCandidates(ctx: Ctx): Peer[] {
  const partners = partnerIds(ctx);
  const out: Peer[] = [];
  for (const p of ctx.peers.values()) if (partners === null || partners.has(p.id) || p.choked) out.push(p);
  return out;
}

/**
 * §4.4 rechoke. `rotate` chooses the optimistic peer anew (every
 * `optimistic` interval); between rotations the slot is refilled only when
 * its holder died, was flagged or forgotten. CHOKE/UNCHOKE go out only on change.
 */
export function rechoke(ctx: Ctx, nowMs: number, rotate: boolean): void {
  // Partners answer with contributions of the same window as §4.4's (SCALE-9).
  partnersRechoked(ctx, nowMs);
  const considered = chokeCandidates(ctx);
  const facts = new Map<string, ChokeFacts>();
  for (const p of considered) facts.set(p.id, chokeFacts(ctx, p, nowMs));

  const holder = ctx.optimisticPeer === null ? undefined : facts.get(ctx.optimisticPeer);
  if (rotate || holder === undefined || !mayBeOptimistic(holder)) {
    const candidates = [...facts].filter(([, f]) => !earnsUnchoke(f) && mayBeOptimistic(f)).map(([id]) => id);
    ctx.optimisticPeer = sample(ctx.rng, candidates, 1)[0] ?? null;
  }

  for (const p of considered) {
    const f = facts.get(p.id)!;
    const optimistic = p.id === ctx.optimisticPeer;
    const choke = !(earnsUnchoke(f) || optimistic);
    if (choke === p.choked) continue;
    p.choked = choke;
    tellChoke(ctx, p, nowMs);
    emit(ctx, { type: "choke_changed", peer: p.id, choked: choke, optimistic: !choke && optimistic && !earnsUnchoke(f) });
  }
}

/** A CHOKE or UNCHOKE from a known peer: it stopped or resumed serving us. */
export function onChokeMessage(ctx: Ctx, p: Peer, choking: boolean): void {
  if (p.chokingUs === choking) return;
  p.chokingUs = choking;
  emit(ctx, { type: "choking_us_changed", peer: p.id, choking });
}
