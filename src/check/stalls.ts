/**
 * The checker's own pauses. The embedded SQS, the bots and the probes share
 * the checker's process: when the machine is overloaded and that process
 * stalls, every message to and from the node stalls with it, and the node
 * rightly sees the probes fall silent. A failure during such a stall says
 * nothing about the node, so the runner does not let it stand.
 */

/** How often the clock is sampled, ms. */
const SAMPLE_MS = 50;
/** Pauses shorter than this are noise. */
const NOTED_MS = 250;
/** Pauses kept, oldest dropped first. */
const STALLS_MAX = 10_000;

export interface StallMonitor {
  /** The longest pause that overlapped [fromMs, toMs]. */
  longestMs(fromMs: number, toMs: number): number;
  stop(): void;
}

export function startStallMonitor(): StallMonitor {
  const stalls: Array<{ startMs: number; endMs: number }> = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const gap = now - last - SAMPLE_MS;
    if (gap >= NOTED_MS) {
      stalls.push({ startMs: last, endMs: now });
      if (stalls.length > STALLS_MAX) stalls.shift();
    }
    last = now;
  }, SAMPLE_MS);
  return {
    longestMs(fromMs, toMs) {
      let longest = 0;
      for (const s of stalls) if (s.endMs >= fromMs && s.startMs <= toMs) longest = Math.max(longest, s.endMs - s.startMs);
      // A pause still going on when asked: the sampler has not run since `last`.
      return Math.max(longest, Date.now() - last - SAMPLE_MS);
    },
    stop: () => clearInterval(timer),
  };
}

/** A pause this long makes the node's view of the probes unreliable: 4 heartbeats, past suspect, close to dead. */
export function stallExcuseMs(heartbeatMs: number): number {
  return Math.max(1_000, 4 * heartbeatMs);
}
