/**
 * When a crashed node comes back: exponential backoff from `baseMs` doubling
 * to `maxMs`, and after `crashesMax` crashes within `windowMs` the node is
 * left down (a node that cannot stay up would otherwise flood the logs and
 * its peers). Pure: the caller passes the time in.
 */
export interface RestartPolicyOptions {
  /** First delay; default 1 s. */
  baseMs: number;
  /** Cap of the doubling; default 30 s. */
  maxMs: number;
  /** Crashes within the window that mark the node failed; default 5. */
  crashesMax: number;
  /** Default 60 s. */
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  baseMs: 1_000,
  maxMs: 30_000,
  crashesMax: 5,
  windowMs: 60_000,
};

export type RestartDecision =
  | { action: "restart"; delayMs: number; crashesInWindow: number }
  | { action: "fail"; crashesInWindow: number };

export interface RestartPolicy {
  /** `upSinceMs`: when the crashed run started; a run that lasted a whole window resets the backoff. */
  onCrash(nowMs: number, upSinceMs: number): RestartDecision;
}

export function createRestartPolicy(opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY): RestartPolicy {
  // Only the crashes inside the window matter, so at most crashesMax are kept.
  let crashesAtMs: number[] = [];
  let streak = 0;
  return {
    onCrash(nowMs, upSinceMs) {
      crashesAtMs = [...crashesAtMs, nowMs].filter((t) => nowMs - t < opts.windowMs).slice(-opts.crashesMax);
      const n = crashesAtMs.length;
      if (n >= opts.crashesMax) return { action: "fail", crashesInWindow: n };
      streak = nowMs - upSinceMs >= opts.windowMs ? 1 : streak + 1;
      // Bounded exponent: the delay is capped long before 2 ** streak overflows.
      const delayMs = Math.min(opts.baseMs * 2 ** Math.min(streak - 1, 30), opts.maxMs);
      return { action: "restart", delayMs, crashesInWindow: n };
    },
  };
}
