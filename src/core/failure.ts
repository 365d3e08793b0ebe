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
