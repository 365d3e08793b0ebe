import { createHash } from "node:crypto";
import { LIMITS } from "./config.ts";
import { sendTo, type Ctx } from "./context.ts";
import { servedPeers } from "./peers.ts";
import { recordReport } from "./reports.ts";
import type { Rng } from "./rng.ts";

/** docs/protocol.md §7 (MODEL-1): `epoch = floor(unix_seconds / epoch_s)`, here in ms. */
export function epochOf(ms: number, epochMs: number): number {
  return Math.floor(ms / epochMs);
}

/**
 * The true count of a content item in an epoch, the same for every honest
 * reporter: `100 + uint32_be(sha256(seed:content_id:epoch)[0:4]) % 900`.
 */
export function trueCount(seed: string, content_id: string, epoch: number): number {
  const digest = createHash("sha256").update(`${seed}:${content_id}:${epoch}`, "utf8").digest();
  return 100 + (digest.readUInt32BE(0) % 900);
}

/**
 * What a reporter of accuracy `a` says: the truth with probability `a`,
 * otherwise the truth times a factor in [0.5, 1.5], never the truth itself.
 */
export function reportedCount(rng: Rng, truth: number, accuracy: number): number {
  if (rng.float() < accuracy) return truth;
  const wrong = Math.round(truth * (0.5 + rng.float()));
  if (wrong !== truth) return wrong;
  // The factor landed close to 1: step off the truth, keeping the count ≥ 0.
  return truth === 0 || rng.int(2) === 0 ? truth + 1 : truth - 1;
}

/** Item `i`'s count for `epoch`: drawn at the epoch's first report, the same at every later one. */
function epochCount(ctx: Ctx, i: number, epoch: number): number {
  const drawn = ctx.viewDraws[i];
  if (drawn !== undefined && drawn.epoch === epoch) return drawn.count;
  const count = reportedCount(ctx.viewRng, trueCount(ctx.config.seed, ctx.config.content[i]!.content_id, epoch), ctx.accuracy);
  ctx.viewDraws[i] = { epoch, count };
  return count;
}

/**
 * Whether a VIEW_EVENT timestamp can still be audited: not from an epoch
 * already pruned, not from further ahead than a clock can honestly drift.
 */
export function isViewTimely(tsMs: number, nowMs: number, epochMs: number): boolean {
  const oldestEpoch = epochOf(nowMs, epochMs) - LIMITS.viewPastEpochsMax;
  return epochOf(tsMs, epochMs) >= oldestEpoch && tsMs <= nowMs + LIMITS.viewFutureMs;
}

/**
 * §4 publish views: for each hosted item, this epoch's count to every
 * unchoked live peer; the node's own report also enters its own audit.
 *
 * A count is drawn once per (item, epoch) and repeated by every report of
 * that epoch. An audit counts only a reporter's latest report, so a liar
 * that redrew each time would lie as often in the votes; but which of its
 * reports a vote holds would then depend on delivery, and neither a peer
 * nor the checker could tell from what it sent what the vote counted.
 */
export function publishViews(ctx: Ctx, nowMs: number): void {
  const { content, timing, id } = ctx.config;
  const epoch = epochOf(nowMs, timing.epochMs);
  const targets = servedPeers(ctx);
  for (let i = 0; i < content.length; i++) {
    const item = content[i]!;
    const count = epochCount(ctx, i, epoch);
    recordReport(ctx.reports, id, item.content_id, epoch, { count, tsMs: nowMs });
    const event_id = `evt-${ctx.rng.hex(8)}`;
    for (const p of targets) {
      sendTo(ctx, p.id, p.queueUrl, "VIEW_EVENT", nowMs, {
        event_id,
        content_id: item.content_id,
        count,
        ad_id: item.ad_id,
      });
    }
  }
}
