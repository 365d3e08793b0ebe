/**
 * At most one log line per key per window, with a count of what was held
 * back: a peer sending garbage in a loop must not flood the log.
 */
export interface LogLimiter {
  /** Counts one occurrence; returns how many were suppressed before it when it may be logged, else null. */
  admit(key: string, nowMs: number): number | null;
  counts(): Record<string, number>;
}

export function createLogLimiter(windowMs = 60_000, keysMax = 256): LogLimiter {
  const last = new Map<string, { atMs: number; held: number }>();
  const totals: Record<string, number> = {};
  return {
    admit(key, nowMs) {
      totals[key] = (totals[key] ?? 0) + 1;
      const seen = last.get(key);
      if (seen && nowMs - seen.atMs < windowMs) {
        seen.held++;
        return null;
      }
      if (!seen && last.size >= keysMax) {
        // Forget the oldest key; at worst it logs once more.
        const oldest = last.keys().next().value;
        if (oldest !== undefined) last.delete(oldest);
      }
      const held = seen?.held ?? 0;
      last.delete(key);
      last.set(key, { atMs: nowMs, held: 0 });
      return held;
    },
    counts: () => ({ ...totals }),
  };
}
