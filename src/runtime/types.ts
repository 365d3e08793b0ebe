import type { NodeConfig, NodeEvent, NodeSnapshot } from "../core/types.ts";
import type { TransportCounters } from "../sqs/counters.ts";

/** Where a running node stands, as the health table shows it. */
export type RunnerState = "starting" | "running" | "degraded" | "stopping" | "stopped";

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
  /** Seen-journal failures by operation and error code (`write_eacces`, `sync_eio`, `read_eisdir`...). */
  journalErrors?: Record<string, number>;
  /** The outbox's flushes to disk before batches left (seen-journal.ts), and the time spent in them. */
  journalSyncs?: { count: number; ms: number };
}

export type { NodeConfig };
