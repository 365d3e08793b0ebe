import type { TransportCounters } from "../runtime/types.ts";

export function emptyCounters(): TransportCounters {
  return { requests: {}, messagesSent: 0, messagesReceived: 0, messagesDeleted: 0, errors: {}, backoffMs: 0 };
}

/** Adds `n` to a counter of requests or errors by its key. */
export function countIn(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}
