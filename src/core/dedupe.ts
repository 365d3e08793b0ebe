/**
 * PROTOCOL.md §1: SQS delivers at least once, so a message seen twice is
 * handled once. Remembered keys are bounded by count and by age: a Map keeps
 * insertion order, so the oldest sit at the front and pruning is cheap.
 */
export interface Dedupe {
  /** True the first time a key is seen inside the window; false for a repeat. */
  firstSeen(key: string, nowMs: number): boolean;
  readonly size: number;
}

export function createDedupe(max: number, windowMs: number): Dedupe {
  const seenAt = new Map<string, number>();
  const prune = (nowMs: number) => {
    for (const [key, atMs] of seenAt) {
      if (seenAt.size <= max && atMs > nowMs - windowMs) break;
      seenAt.delete(key);
    }
  };
  return {
    firstSeen(key, nowMs) {
      prune(nowMs);
      const atMs = seenAt.get(key);
      if (atMs !== undefined && atMs > nowMs - windowMs) return false;
      // Re-insert so the key moves to the back of the age order.
      seenAt.delete(key);
      seenAt.set(key, nowMs);
      if (seenAt.size > max) prune(nowMs);
      return true;
    },
    get size() {
      return seenAt.size;
    },
  };
}

/** One key from several parts; NUL cannot occur in a validated id or label. */
export function dedupeKey(...parts: string[]): string {
  return parts.join("\u0000");
}
