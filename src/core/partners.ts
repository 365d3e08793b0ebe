import { LIMITS } from "./config.ts";
import type { Ctx } from "./context.ts";
import type { Peer } from "./peers.ts";
import { isFlagged } from "./reputation-table.ts";

/**
 * Partners (docs/protocol.md, SCALE-9..15): the bounded, stable set of
 * peers a node sends its views and audit results to, audits, and makes
 * choke decisions over. At most `partners` of them whatever the size of the
 * network, so that a node's reports cost the same among 50 nodes as among
 * 1,000. A partnership is mutual by construction: a node keeps the partners
 * that answer (they report to it), takes in peers that chose it while it
 * has room, and offers its free places to the best-ranked peers; an offer
 * nobody answers is declined. Once answered, a partnership lasts until one
 * side dies, is forgotten or is flagged, so a partner's reputation builds
 * report after report as it does in a small network.
 */
export interface PartnerSet {
  /** The table changed, or a rechoke passed, since `ids` was computed. */
  dirty: boolean;
  /** Contributions since this time are answers (RECHOKE-2's window; set at each rechoke). */
  contributedSinceMs: number;
  /** Time of the last rechoke: a new offer's grace starts there. */
  rechokeMs: number;
  /** Rechokes so far: the clock of offers and declines. */
  rechokes: number;
  /** Partner ids, or null while every live peer is one (the live peers fit in the bound). */
  ids: Set<string> | null;
  /** Places held by partners rather than by offers still on trial. */
  answering: number;
  /** Offers on trial: peer id -> the rechoke count at the offer. At most `partners`. */
  offers: Map<string, number>;
  /** Peers that declined: id -> the rechoke count then; oldest first, at most LIMITS.peersMax. */
  declined: Map<string, number>;
}

/** Rechoke intervals an offer waits for an answer (SCALE-14): the answer takes one or two. */
export const OFFER_TRIAL_RECHOKES = 3;
/** Rechoke intervals from its start during which a node offers to any peer (SCALE-14): 2 minutes at default timing. */
export const OFFER_YOUTH_RECHOKES = 12;
/** Rechoke intervals a peer that declined is not offered again (SCALE-14): 5 minutes at default timing. */
export const DECLINED_KEEP_RECHOKES = 30;

export function createPartnerSet(): PartnerSet {
  return {
    dirty: true,
    contributedSinceMs: Infinity,
    rechokeMs: -Infinity,
    rechokes: 0,
    ids: null,
    answering: 0,
    offers: new Map(),
    declined: new Map(),
  };
}

/**
 * The rank of the pair {a, b}: FNV-1a over the two ids in sorted order, so
 * that a ranks b exactly as b ranks a: two nodes with free places offer them
 * to each other first.
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

/** Up to `n` of `peers` passing `take`, lowest rank first: one pass, no sort of the whole table. */
function lowest(ctx: Ctx, peers: Iterable<Peer>, n: number, take: (p: Peer) => boolean): Peer[] {
  const best: Peer[] = [];
  if (n <= 0) return best;
  for (const p of peers) {
    if (best.length === n && !before(ctx, p, best[n - 1]!)) continue;
    if (!take(p)) continue;
    let i = best.length === n ? n - 1 : best.length;
    best[i] = p;
    while (i > 0 && before(ctx, best[i]!, best[i - 1]!)) {
      [best[i], best[i - 1]] = [best[i - 1]!, best[i]!];
      i--;
    }
  }
  return best;
}

/** A rechoke passed (§10): contributions are judged over its window, and offers age by one. */
export function partnersRechoked(ctx: Ctx, nowMs: number): void {
  const set = ctx.partners;
  set.contributedSinceMs = nowMs - LIMITS.contributionIntervals * ctx.config.timing.rechokeMs;
  set.dirty = true;
  // The optimistic rotation rechokes too, at the same instant as a plain rechoke: one interval, counted once.
  if (nowMs === set.rechokeMs) return;
  set.rechokeMs = nowMs;
  set.rechokes++;
  // Declines are kept oldest first: the expired ones are at the front.
  for (const [id, at] of set.declined) {
    if (set.rechokes - at < DECLINED_KEEP_RECHOKES) break;
    set.declined.delete(id);
  }
}

function decline(ctx: Ctx, id: string): void {
  const set = ctx.partners;
  set.offers.delete(id);
  set.declined.delete(id);
  if (set.declined.size >= LIMITS.peersMax) {
    const oldest = set.declined.keys().next();
    if (!oldest.done) set.declined.delete(oldest.value);
  }
  set.declined.set(id, set.rechokes);
}

/**
 * The partner ids, or null when every live peer is one. Recomputed after
 * the table changed and at each rechoke, filling the `partners` places in
 * the order of SCALE-9: partners that answer (and those that choke us, that
 * we flagged or that died, until forgotten); peers that took us as a
 * partner (they contributed lately), lowest rank first; offers still on
 * trial; then new offers, lowest rank first, to live unflagged peers we do
 * not choke and that have not declined (past our first minutes, newcomers
 * only). Partners go first so that a partnership, once made, is never
 * undone for a better-ranked newcomer.
 */
export function partnerIds(ctx: Ctx): Set<string> | null {
  const set = ctx.partners;
  if (!set.dirty) return set.ids;
  set.dirty = false;
  const max = ctx.scale.partners;
  if (ctx.peers.size - ctx.deadPeers <= max) {
    set.ids = null;
    set.answering = ctx.peers.size - ctx.deadPeers;
    set.offers.clear();
    return null;
  }
  const prev = set.ids;
  const answers = (p: Peer) => p.lastContributionMs !== null && p.lastContributionMs >= set.contributedSinceMs;
  const eligible = (p: Peer) => p.status !== "dead" && !isFlagged(ctx, p.id);
  const ids = new Set<string>();
  const add = (p: Peer) => {
    ids.add(p.id);
    set.declined.delete(p.id);
  };
  // 1. Partners that answer (every live peer was one while they fit in the bound). A partner
  // that chokes us, that we flagged or that died keeps its place too, until it is forgotten:
  // the choke is its answer, the flag ours, and a place handed to someone else would give a
  // liar fresh auditors for as long as the network runs.
  const members = prev === null ? [...ctx.peers.values()] : [...prev].flatMap((id) => ctx.peers.get(id) ?? []);
  const kept =
    prev === null
      ? (p: Peer) => eligible(p) && answers(p)
      : (p: Peer) => !set.offers.has(p.id) && (p.status === "dead" || answers(p) || p.chokingUs || isFlagged(ctx, p.id));
  for (const p of lowest(ctx, members, max, (p) => kept(p) || (set.offers.has(p.id) && eligible(p) && answers(p)))) add(p);
  // 2. Peers that took us as a partner: they report to us.
  for (const p of lowest(ctx, ctx.peers.values(), max - ids.size, (p) => !ids.has(p.id) && eligible(p) && answers(p))) add(p);
  set.answering = ids.size;
  for (const id of ids) set.offers.delete(id);
  // A former partner gone quiet declined; an offer past its trial too.
  if (prev !== null) {
    for (const id of prev) {
      const p = ctx.peers.get(id);
      if (ids.has(id) || p === undefined || !eligible(p)) continue;
      const at = set.offers.get(id);
      if (at === undefined || set.rechokes - at >= OFFER_TRIAL_RECHOKES) decline(ctx, id);
    }
  }
  for (const id of set.offers.keys()) if (!ctx.peers.has(id)) set.offers.delete(id);
  // 3. Offers still on trial.
  const pending = [...set.offers.keys()].flatMap((id) => ctx.peers.get(id) ?? []);
  for (const p of lowest(ctx, pending, max - ids.size, (p) => !ids.has(p.id) && eligible(p))) ids.add(p.id);
  // 4. New offers: a fresh grace (RECHOKE-2) from the last rechoke, so the peer is served while it decides.
  // Past its first minutes a node offers only to newcomers: the places of the network are taken by
  // then, and an offer accepted later would hand a liar auditors that meet it late (SCALE-14).
  const young = set.rechokes <= OFFER_YOUTH_RECHOKES;
  const newSinceMs = set.rechokeMs - LIMITS.graceIntervals * ctx.config.timing.rechokeMs;
  const fresh = (p: Peer) =>
    !ids.has(p.id) && !set.offers.has(p.id) && !set.declined.has(p.id) && !p.choked && eligible(p) && (young || p.knownSinceMs > newSinceMs);
  for (const p of lowest(ctx, ctx.peers.values(), max - ids.size, fresh)) {
    ids.add(p.id);
    set.offers.set(p.id, set.rechokes);
    p.graceFromMs = Math.max(p.graceFromMs, set.rechokeMs);
  }
  // Offers crowded out by answers are withdrawn, not declined: they may be made again.
  for (const id of set.offers.keys()) if (!ids.has(id)) set.offers.delete(id);
  set.ids = ids;
  return ids;
}

/**
 * A stranger reports to us while the table is full of live peers (a network
 * larger than the 500 bound, where each node knows only part of it). If we
 * have a place that is free or held by an offer, it is an offer we can take: the
 * live non-partner heard from longest ago makes room for it. Anyone else is
 * turned away as before. Returns whether room was made.
 */
export function makeRoomForPartner(ctx: Ctx, id: string, forget: (id: string) => void): boolean {
  const ids = partnerIds(ctx);
  if (ids === null || ctx.partners.answering >= ctx.scale.partners || ctx.peers.has(id)) return false;
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
