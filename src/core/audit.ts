import { LIMITS } from "./config.ts";
import { emit, sendTo, type Ctx } from "./context.ts";
import { isPartner } from "./partners.ts";
import { servedPeers } from "./peers.ts";
import { markAudited, pruneBefore, type ReportGroup } from "./reports.ts";
import { reputationOf, recordAudited } from "./reputation-table.ts";
import { score } from "./reputation.ts";
import { epochOf } from "./views.ts";
import { parseTimestampMs, VOTERS_MAX } from "../protocol/index.ts";
import type { AuditRecord } from "./types.ts";

/** §4.2: at least this many distinct reporters, the node's own included. */
export const AUDIT_REPORTERS_MIN = 3;
/** §4.2: the node's own report weighs what a peer with no history does. */
export const OWN_REPORT_WEIGHT = 0.5;

export interface Vote {
  reporter: string;
  count: number;
  weight: number;
}

export interface Tally {
  agreed_count: number;
  confidence: number;
  voters: string[];
}

/**
 * The weighted vote of §4.2: the count with the greatest total weight wins,
 * ties going to the smaller count; confidence is its share, to 2 decimals.
 * Null below the reporter minimum.
 */
export function tally(votes: Vote[]): Tally | null {
  if (new Set(votes.map((v) => v.reporter)).size < AUDIT_REPORTERS_MIN) return null;
  const weightByCount = new Map<number, number>();
  let total = 0;
  for (const v of votes) {
    weightByCount.set(v.count, (weightByCount.get(v.count) ?? 0) + v.weight);
    total += v.weight;
  }
  let agreed = -1;
  let best = -Infinity;
  for (const [count, weight] of weightByCount) {
    if (weight > best || (weight === best && count < agreed)) {
      agreed = count;
      best = weight;
    }
  }
  const confidence = total > 0 ? Math.round((best / total) * 100) / 100 : 0;
  return { agreed_count: agreed, confidence, voters: votes.map((v) => v.reporter) };
}

/** An epoch is audited once it has ended and one more views interval has passed. */
export function isAuditable(epoch: number, nowMs: number, epochMs: number, viewsMs: number): boolean {
  return (epoch + 1) * epochMs + viewsMs <= nowMs;
}

function votesOf(ctx: Ctx, group: ReportGroup): Vote[] {
  const votes: Vote[] = [];
  for (const [reporter, report] of group.reports) {
    // Past the partner bound, only partners are audited (SCALE-15): a declined offer was heard for a trial only.
    if (reporter !== ctx.config.id && !isPartner(ctx, reporter)) continue;
    const weight = reporter === ctx.config.id ? OWN_REPORT_WEIGHT : score(reputationOf(ctx, reporter));
    votes.push({ reporter, count: report.count, weight });
  }
  return votes;
}

/**
 * §4 audit task: votes on every finished (content, epoch) with enough
 * reporters, publishes the result to unchoked live peers and scores each
 * peer's report against it. Groups still short of reporters wait until they
 * are too old to matter.
 */
export function runAudits(ctx: Ctx, nowMs: number): void {
  const { epochMs, viewsMs } = ctx.config.timing;
  for (const [key, group] of ctx.reports.groups) {
    if (!isAuditable(group.epoch, nowMs, epochMs, viewsMs)) continue;
    // An epoch that began before this node started is known only from what
    // waited in its queue: a partial view, perhaps three reporters of whom
    // two lie, and no report of its own to anchor the vote. A vote on it
    // could blame the one honest reporter, so it is left unaudited.
    if (group.epoch * epochMs < ctx.startedMs) continue;
    const votes = votesOf(ctx, group);
    const result = tally(votes);
    if (result === null) continue;
    markAudited(ctx.reports, key);
    const record = { content_id: group.content_id, epoch: group.epoch, ...result };
    emit(ctx, { type: "audit", ...record });
    ctx.audits.push({ ...record, atMs: nowMs });
    if (ctx.audits.length > LIMITS.recentAuditsMax) ctx.audits.shift();
    for (const v of votes) {
      if (v.reporter !== ctx.config.id) recordAudited(ctx, v.reporter, v.count === result.agreed_count, nowMs);
    }
    for (const p of servedPeers(ctx)) {
      sendTo(ctx, p.id, p.queueUrl, "AUDIT_RESULT", nowMs, {
        content_id: group.content_id,
        agreed_count: result.agreed_count,
        confidence: result.confidence,
        voters: result.voters.slice(0, VOTERS_MAX),
      });
    }
  }
  pruneBefore(ctx.reports, epochOf(nowMs, epochMs) - LIMITS.viewPastEpochsMax);
}

/**
 * Keeps a peer's AUDIT_RESULT (bounded) beside our own audit of the epoch it
 * most likely covers: an audit runs once its epoch has ended, so a result
 * sent at time T covers the epoch before T's, or the one before that when
 * audits run late.
 */
export function recordPeerAudit(
  ctx: Ctx,
  m: { sender: string; timestamp: string; content_id: string; agreed_count: number; confidence: number; voters: string[] },
  nowMs: number,
): void {
  const tsMs = parseTimestampMs(m.timestamp) ?? nowMs;
  const e = epochOf(tsMs, ctx.config.timing.epochMs);
  let own: AuditRecord | undefined;
  for (let i = ctx.audits.length - 1; i >= 0 && own === undefined; i--) {
    const a = ctx.audits[i]!;
    if (a.content_id === m.content_id && (a.epoch === e - 1 || a.epoch === e - 2)) own = a;
  }
  ctx.peerAudits.push({
    from: m.sender,
    content_id: m.content_id,
    agreed_count: m.agreed_count,
    confidence: m.confidence,
    voters: m.voters.slice(0, LIMITS.peerListMax),
    atMs: nowMs,
    matchesOwn: own === undefined ? null : own.agreed_count === m.agreed_count,
  });
  if (ctx.peerAudits.length > LIMITS.recentAuditsMax) ctx.peerAudits.shift();
}
