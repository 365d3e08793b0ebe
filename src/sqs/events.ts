import type { SqsErrorKind } from "./errors.ts";

/** What the transport reports instead of throwing: its poll loop never lets an exception escape. */
export type TransportEvent =
  /** The node's link to SQS changed: `degraded` while requests fail, `ok` once they succeed again. */
  | { type: "link"; state: "ok" | "degraded"; detail: string }
  | { type: "receive_failed"; kind: SqsErrorKind; detail: string; failures: number; backoffMs: number }
  /** Our own queue is gone (endpoint restarted empty, queue deleted): the owner may recreate it. */
  | { type: "own_queue_missing"; queueUrl: string }
  /** A destination queue does not exist: a fact about that peer, its pending messages are dropped. */
  | { type: "queue_missing"; queueUrl: string; to?: string; dropped: number }
  | { type: "send_retry"; queueUrl: string; kind: SqsErrorKind; count: number; backoffMs: number }
  /** Messages given up on after their attempts, or refused by SQS for good. */
  | { type: "send_failed"; queueUrl: string; to?: string; kind: SqsErrorKind; detail: string; dropped: number }
  /** Messages never sent: too large, the destination's pending queue full, or the transport stopped. */
  | { type: "send_dropped"; queueUrl: string; to?: string; reason: SendDropReason; count: number }
  | { type: "delete_failed"; kind: SqsErrorKind; detail: string; count: number }
  /** Handling a message threw; it is left for redelivery (`receiveCount` so far). */
  | { type: "handler_failed"; detail: string; receiveCount?: number }
  /** A message whose handler threw on each of its `receiveCount` receives: deleted unhandled. */
  | { type: "poison_dropped"; detail: string; receiveCount: number }
  | { type: "credentials"; detail: string };

export type SendDropReason = "too_large" | "queue_full" | "destinations_full" | "stopped";
