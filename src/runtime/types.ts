import type { NodeConfig, NodeEvent, NodeSnapshot } from "../core/types.ts";

/** Where a running node stands, as the health table shows it. */
export type RunnerState = "starting" | "running" | "degraded" | "stopping" | "stopped";

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

/** What a running node reports to the supervisor, about once a second. */
export interface RunnerHealth {
  id: string;
  state: RunnerState;
  startedAtMs: number;
  snapshot: NodeSnapshot;
  transport: TransportCounters;
  /** Recent state-change events (peer joined, suspect, dead, flagged, choked), newest last, bounded. */
  recentEvents: Array<{ atMs: number; event: NodeEvent }>;
  /** Refused queue URLs by reason (wrong_host, credentials_in_url...). */
  urlRejected?: Record<string, number>;
}

export type { NodeConfig };
