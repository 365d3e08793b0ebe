import type { Ctx } from "./context.ts";
import type { Peer } from "./peers.ts";

/**
 * Partners (docs/protocol.md, SCALE-7..9): the bounded, stable set of peers
 * a node sends its views and audit results to and makes choke decisions
 * over. Stable, so that a partner's reputation builds report after report
 * as it does in a small network; chosen by a rank both ends compute alike,
 * so that most partnerships are mutual and each node is audited by about
 * as many partners as it reports to.
 */
export interface PartnerSet {
  /** The table changed since `ids` was computed. */
  dirty: boolean;
  /** Contributions since this time make a peer a partner in return (set at each rechoke). */
  contributedSinceMs: number;
  /** Partner ids, or null while every live peer is one (the live peers fit in the bound). */
  ids: Set<string> | null;
}

export function createPartnerSet(): PartnerSet {
  return { dirty: true, contributedSinceMs: Infinity, ids: null };
}

/**
 * The rank of the pair {a, b}: FNV-1a over the two ids in sorted order, so
 * that a ranks b exactly as b ranks a, and no node can choose its auditors.
 */
export function pairRank(a: string, b: string): number {
  // NUL cannot occur in a node id: "ab"+"c" and "a"+"bc" stay apart.
  const s = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche: FNV's low bits alone mix ids that differ in their last letter poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function rankOf(ctx: Ctx, p: Peer): number {
  if (p.pairRank < 0) p.pairRank = pairRank(ctx.config.id, p.id);
  return p.pairRank;
}

/** Ascending by rank, ties by id: a total order, the same on every run. */
function before(ctx: Ctx, a: Peer, b: Peer): boolean {
  const ra = rankOf(ctx, a);
  const rb = rankOf(ctx, b);
  return ra < rb || (ra === rb && a.id < b.id);
}

/**
 * The partner ids, or null when every live peer is one. Recomputed after
 * the table changed and at each rechoke: the best `partners` live peers by
 * rank, one pass, no sort of the whole table; and, in return, up to as many
 * peers that reported to us lately and rank within twice the rank of our
 * last partner. Those are the peers that chose us while we did not choose
 * them (each end ranks from the peers it knows): without them they would
 * report to us and hear nothing back, choke us, and stop being audited.
 * The rank limit keeps out the partners of the first minute, whose views
 * would otherwise keep each other's partnership alive for good.
 */
export function partnerIds(ctx: Ctx): Set<string> | null {
  const set = ctx.partners;
  if (!set.dirty) return set.ids;
  set.dirty = false;
  const max = ctx.scale.partners;
  if (ctx.peers.size - ctx.deadPeers <= max) {
    set.ids = null;
    return null;
  }
  const best: Peer[] = [];
  for (const p of ctx.peers.values()) {
    if (p.status === "dead") continue;
    if (best.length === max && !before(ctx, p, best[max - 1]!)) continue;
    let i = best.length === max ? max - 1 : best.length;
    best[i] = p;
    while (i > 0 && before(ctx, best[i]!, best[i - 1]!)) {
      [best[i], best[i - 1]] = [best[i - 1]!, best[i]!];
      i--;
    }
  }
  const ids = new Set(best.map((p) => p.id));
  const rankMax = 2 * rankOf(ctx, best[max - 1]!);
  let extra = 0;
  for (const p of ctx.peers.values()) {
    if (extra >= max) break;
    if (p.status === "dead" || p.lastContributionMs === null || p.lastContributionMs < set.contributedSinceMs) continue;
    if (ids.has(p.id) || rankOf(ctx, p) > rankMax) continue;
    ids.add(p.id);
    extra++;
  }
  set.ids = ids;
  return ids;
}

/**
 * A stranger reports to us while the table is full of live peers (a network
 * larger than the 500 bound, where each node knows only part of it). If it
 * ranks as a partner would, it chose us as one: the live non-partner heard
 * from longest ago makes room for it, so that the partnership works both
 * ways. Anyone else is turned away as before. Returns whether room was made.
 */
export function makeRoomForPartner(ctx: Ctx, id: string, forget: (id: string) => void): boolean {
  const ids = partnerIds(ctx);
  if (ids === null || ids.size === 0) return false;
  let last = -1;
  for (const pid of ids) {
    const p = ctx.peers.get(pid);
    if (p !== undefined && rankOf(ctx, p) > last) last = rankOf(ctx, p);
  }
  if (pairRank(ctx.config.id, id) > 2 * last) return false;
  let victim: Peer | null = null;
  for (const p of ctx.peers.values()) {
    if (ids.has(p.id) || p.choked || ctx.config.bootstrap.includes(p.id)) continue;
    if (victim === null || p.lastSeenMs < victim.lastSeenMs) victim = p;
  }
  if (victim === null) return false;
  forget(victim.id);
  return true;
}

export function isPartner(ctx: Ctx, id: string): boolean {
  const ids = partnerIds(ctx);
  return ids === null || ids.has(id);
}
