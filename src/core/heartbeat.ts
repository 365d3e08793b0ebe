import { LIMITS } from "./config.ts";
import { drop, sendTo, type Ctx } from "./context.ts";
import { shouldForget, shouldPingDead, silenceMs, statusForSilence } from "./failure.ts";
import { forgetPeer, heardFrom, setStatus, type Peer } from "./peers.ts";
import { chooseProbes } from "./probe.ts";
import { ageRumours, localStatusChanged } from "./rumours.ts";

/**
 * §4 heartbeat with failure detection: statuses follow silence, dead peers
 * are pinged every 6th beat and forgotten after 30, every other peer gets a
 * PING with a fresh seq; past the probe bound, the peers probe.ts chooses.
 */
export function runHeartbeat(ctx: Ctx, nowMs: number): void {
  const { heartbeatMs } = ctx.config.timing;
  const due: Peer[] = [];
  for (const p of [...ctx.peers.values()]) {
    const status = statusForSilence(silenceMs(p, nowMs, heartbeatMs), heartbeatMs);
    // Only a message brings a peer back; a heartbeat only ever worsens its status.
    if (rank(status) > rank(p.status)) {
      setStatus(ctx, p, status);
      localStatusChanged(ctx, p, nowMs);
    }
    if (p.status === "dead") {
      p.deadBeats++;
      // Bootstrap nodes are never forgotten: after a partition longer than the
      // forget threshold, both sides have forgotten each other, and the
      // bootstrap, still pinged every 6th heartbeat, is the one way back.
      if (shouldForget(p.deadBeats) && !ctx.config.bootstrap.includes(p.id)) {
        forgetPeer(ctx, p.id);
        continue;
      }
      if (!shouldPingDead(p.deadBeats)) continue;
    }
    due.push(p);
  }
  for (const p of chooseProbes(ctx, due)) ping(ctx, p, nowMs);
  ageRumours(ctx, nowMs);
}

function rank(s: Peer["status"]): number {
  return s === "alive" ? 0 : s === "suspect" ? 1 : 2;
}

function ping(ctx: Ctx, p: Peer, nowMs: number): void {
  const seq = ++ctx.seq;
  p.pendingPings.push(seq, nowMs);
  if (p.awaitingSinceMs === null) p.awaitingSinceMs = nowMs;
  // Give up on the oldest PING: its PONG, if it ever comes, counts as unknown.
  if (p.pendingPings.length > 2 * LIMITS.pendingPingsMax) p.pendingPings.splice(0, 2);
  sendTo(ctx, p.id, p.queueUrl, "PING", nowMs, { seq });
}

/**
 * A PONG: the matching PING gives the round-trip time. A seq never sent to
 * that peer (a forgery, or a PONG given up on) is dropped and is no sign of life.
 */
export function onPong(ctx: Ctx, p: Peer | undefined, sender: string, seq: number, nowMs: number): void {
  const at = p === undefined ? -1 : pendingIndex(p.pendingPings, seq);
  if (p === undefined || at < 0) {
    drop(ctx, "unknown_pong", 1, sender);
    // No round trip to measure (a PING we already forgot, or a node that
    // answers with its own numbering), but a known peer that sends anything
    // is alive (docs/protocol.md FAIL-1: any message is a sign of life).
    if (p !== undefined) heardFrom(ctx, p, nowMs);
    return;
  }
  const sentMs = p.pendingPings[at + 1]!;
  p.pendingPings.splice(at, 2);
  p.rttMs = Math.max(0, nowMs - sentMs);
  if (p.rttsMs.push(p.rttMs) > LIMITS.rttSamplesMax) p.rttsMs.shift();
  heardFrom(ctx, p, nowMs);
}

/** Where the (seq, sent time) pair of `seq` starts in a peer's pending PINGs, or -1. */
function pendingIndex(pending: readonly number[], seq: number): number {
  for (let i = 0; i < pending.length; i += 2) if (pending[i] === seq) return i;
  return -1;
}
