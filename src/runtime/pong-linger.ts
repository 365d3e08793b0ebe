import type { Send } from "../core/types.ts";

/** How long after a tick peers' bursts count as part of it, ms. */
const BURST_WINDOW_MS = 1000;

/**
 * When the next receive may wait for PONGs. Once every peer PINGed in a
 * tick has sent its own PING (their ticks sit on the same grid:
 * core/timers.ts), only PONGs to our PINGs are still on their way and
 * nothing needs an answer: the transport is then told to let the next poll
 * wait `lingerMs`, so they share one ReceiveMessage.
 */
export interface PongLinger {
  /** After the core's tick: the peers it PINGed, whose own PINGs are now awaited. */
  ticked(sends: readonly Send[], nowMs: number): void;
  /** After any output was handed to the transport (the tick's included). */
  dispatched(sends: readonly Send[], nowMs: number): void;
}

export function createPongLinger(lingerMs: number, expectBurst: (untilMs: number) => void): PongLinger {
  /** Peers PINGed in the last tick whose own PING has not come yet. */
  const burstFrom = new Set<string>();
  let burstTickMs = -Infinity;
  return {
    ticked(sends, nowMs) {
      burstFrom.clear();
      burstTickMs = nowMs;
      for (const s of sends) if (s.message.type === "PING") burstFrom.add(s.to);
    },
    dispatched(sends, nowMs) {
      const waiting = burstFrom.size;
      // Our PONG to a peer answers its PING: that peer's burst has come.
      for (const s of sends) if (s.message.type === "PONG") burstFrom.delete(s.to);
      // Only right after a tick: a straggler's PING much later is no burst.
      if (waiting > 0 && burstFrom.size === 0 && lingerMs > 0 && nowMs - burstTickMs < BURST_WINDOW_MS) expectBurst(nowMs + lingerMs);
    },
  };
}
