import { LIMITS } from "./config.ts";
import type { PeerStatus } from "./types.ts";

/**
 * docs/protocol.md §6, failure detection: silent for 3 heartbeats is suspect, for
 * 6 dead. Silence is measured from the last message, so a PONG arriving
 * anywhere inside the interval keeps a peer alive.
 */
export function statusForSilence(silenceMs: number, heartbeatMs: number): PeerStatus {
  const beats = Math.floor(silenceMs / Math.max(1, heartbeatMs));
  if (beats >= LIMITS.deadAfterBeats) return "dead";
  if (beats >= LIMITS.suspectAfterBeats) return "suspect";
  return "alive";
}

/** Dead peers are pinged only every 6th heartbeat: often enough to notice a return. */
export function shouldPingDead(deadBeats: number): boolean {
  return deadBeats % LIMITS.deadPingEveryBeats === 0;
}

/** A peer dead for 30 heartbeats is forgotten. */
export function shouldForget(deadBeats: number): boolean {
  return deadBeats >= LIMITS.forgetAfterDeadBeats;
}

/**
 * The silence the failure rule of §4 measures, in ms. It counts from the
 * peer's last message, but never from earlier than one heartbeat before
 * the first PING still unanswered: a peer this node has not asked is not
 * silent, it was not spoken to. In a small network a PING goes out every
 * heartbeat, that PING is at most one heartbeat after the last message,
 * and this is exactly the silence since the last message.
 */
export function silenceMs(p: { lastSeenMs: number; awaitingSinceMs: number | null }, nowMs: number, heartbeatMs: number): number {
  if (p.awaitingSinceMs === null) return 0;
  return nowMs - Math.max(p.lastSeenMs, p.awaitingSinceMs - heartbeatMs);
}
