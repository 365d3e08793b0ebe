/** Counters of the SQS edge, for health and metrics. */
export interface TransportCounters {
  /** SQS API requests by action name (SendMessageBatch, ReceiveMessage, DeleteMessageBatch, ...). */
  requests: Record<string, number>;
  messagesSent: number;
  messagesReceived: number;
  messagesDeleted: number;
  /** Errors by kind: throttled, server, network, queue_missing, credentials, other. */
  errors: Record<string, number>;
  /** Current backoff before the next attempt, ms; 0 when healthy. */
  backoffMs: number;
}

export function emptyTransportCounters(): TransportCounters {
  return { requests: {}, messagesSent: 0, messagesReceived: 0, messagesDeleted: 0, errors: {}, backoffMs: 0 };
}

/** Adds `n` to a counter of requests or errors by its key. */
export function countIn(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}
