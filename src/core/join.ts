import { queueUrlOf } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { emit, sendTo, type Ctx } from "./context.ts";
import { addPeer } from "./peers.ts";
import { arm, disarm } from "./timers.ts";

/**
 * The wait before join attempt `attempt` (1 = the first retry): 3 heartbeats,
 * doubling, at most a minute. Bootstrap nodes may be down for a while; a
 * joining node keeps knocking, ever more politely.
 */
export function joinRetryDelayMs(attempt: number, heartbeatMs: number): number {
  const first = LIMITS.joinRetryBeats * heartbeatMs;
  const doubled = first * 2 ** Math.min(Math.max(0, attempt - 1), 20);
  return Math.max(1, Math.min(doubled, Math.max(first, LIMITS.joinRetryMaxMs)));
}

function bootstrapIds(ctx: Ctx): string[] {
  return [...new Set(ctx.config.bootstrap)].filter((id) => id !== ctx.config.id);
}

/** §4 join: HELLO to each bootstrap node, then retry until a PEER_LIST arrives. */
export function startJoin(ctx: Ctx, nowMs: number): void {
  const ids = bootstrapIds(ctx);
  if (ids.length === 0) {
    // A bootstrap node itself has no one to ask: the network comes to it.
    ctx.join.done = true;
    return;
  }
  for (const id of ids) addPeer(ctx, id, queueUrlOf(ctx.config.network, id), nowMs, "bootstrap");
  helloBootstrap(ctx, nowMs);
}

export function retryJoin(ctx: Ctx, nowMs: number): void {
  if (ctx.join.done) {
    disarm(ctx.timers, "join");
    return;
  }
  helloBootstrap(ctx, nowMs);
}

function helloBootstrap(ctx: Ctx, nowMs: number): void {
  for (const id of bootstrapIds(ctx)) {
    // A bootstrap peer's announced URL wins once it has spoken; before that, the naming scheme.
    const url = ctx.peers.get(id)?.queueUrl ?? queueUrlOf(ctx.config.network, id);
    sendTo(ctx, id, url, "HELLO", nowMs, { queue_url: ctx.selfUrl });
  }
  ctx.join.attempts++;
  arm(ctx.timers, "join", nowMs + joinRetryDelayMs(ctx.join.attempts, ctx.config.timing.heartbeatMs));
}

/** The first PEER_LIST ends the join. */
export function joined(ctx: Ctx, via: string): void {
  if (ctx.join.done) return;
  ctx.join.done = true;
  disarm(ctx.timers, "join");
  emit(ctx, { type: "joined", via });
}
