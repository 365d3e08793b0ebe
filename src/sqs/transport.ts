import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { TransportCounters } from "../runtime/types.ts";
import { backoffDelayMs, DEFAULT_BACKOFF, sleep, type BackoffOptions } from "./backoff.ts";
import { SendBatcher } from "./batcher.ts";
import { classifySqsError, describeSqsError, isTransient } from "./errors.ts";
import type { TransportEvent } from "./events.ts";

export type { TransportEvent } from "./events.ts";

export interface TransportOptions {
  client: SQSClient;
  /** This node's own queue, in the AWS form. */
  queueUrl: string;
  /**
   * Handles one message body. The message is deleted once this returns (or
   * throws: a body our own code cannot handle will not get better by waiting).
   */
  handle: (body: string) => void | Promise<void>;
  onEvent?: (e: TransportEvent) => void;
  /** Long-poll wait, s. Default 20, the SQS maximum: an idle node costs 3 requests a minute. */
  waitTimeSeconds?: number;
  /** Visibility timeout asked for on receive, s; default: the queue's own (30 s). */
  visibilityTimeoutSeconds?: number;
  /** See SendBatcherOptions. Default 0: end of the current turn. */
  flushWindowMs?: number;
  /** Default 1000. */
  pendingPerQueueMax?: number;
  /** Default 4. */
  inFlightPerQueueMax?: number;
  /** Concurrent DeleteMessageBatch requests before the poll loop waits for one. Default 4. */
  deletesInFlightMax?: number;
  /** Attempts per delete batch on transient errors. Default 3; after that SQS redelivers and the core dedupes. */
  deleteAttemptsMax?: number;
  /** Backoff after failed requests. Default 200 ms doubling to 20 s. */
  backoff?: BackoffOptions;
  /** Least wait after rejected credentials, ms: a fix takes a human. Default 30 000. */
  credentialsBackoffMinMs?: number;
  /** Jitter source; default Math.random (timing only, never protocol behaviour). */
  random?: () => number;
  nowMs?: () => number;
}

export type TransportState = "idle" | "running" | "degraded" | "stopping" | "stopped";

export interface TransportStopReport {
  /** Sends still pending at the bound, dropped. */
  sendsDropped: number;
  /** Whether everything finished before the bound. */
  clean: boolean;
}

export interface Transport {
  start(): void;
  /** Queues one message body for `queueUrl`; false if dropped (see events). `to` is the peer it is for. */
  send(queueUrl: string, body: string, to?: string): boolean;
  /** Stops polling, finishes and deletes what it holds, flushes sends; within `boundMs` (default 5000). */
  stop(boundMs?: number): Promise<TransportStopReport>;
  counters(): TransportCounters;
  state(): TransportState;
}

/** SQS's largest receive batch. */
const RECEIVE_MESSAGES_MAX = 10;

export function emptyCounters(): TransportCounters {
  return { requests: {}, messagesSent: 0, messagesReceived: 0, messagesDeleted: 0, errors: {}, backoffMs: 0 };
}

/**
 * One node's SQS edge: a long-poll receive loop on its own queue and a
 * batching sender. Failures become events and backoff, never exceptions out
 * of the loop; an unreachable endpoint makes the link `degraded` until a
 * request succeeds again.
 */
export function createTransport(opts: TransportOptions): Transport {
  const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const random = opts.random ?? Math.random;
  const nowMs = opts.nowMs ?? Date.now;
  const onEvent = opts.onEvent ?? (() => {});
  const waitTimeSeconds = opts.waitTimeSeconds ?? 20;
  const deletesInFlightMax = opts.deletesInFlightMax ?? 4;
  const deleteAttemptsMax = opts.deleteAttemptsMax ?? 3;
  const credentialsBackoffMinMs = opts.credentialsBackoffMinMs ?? 30_000;
  const c = emptyCounters();

  let state: TransportState = "idle";
  let receiveFailures = 0;
  let receiveBackoffMs = 0;
  let sendFailing = false;
  let degraded = false;
  let loop: Promise<void> | null = null;
  let poll: AbortController | null = null;
  const stopSignal = new AbortController();
  const deletes = new Set<Promise<void>>();

  const count = (rec: Record<string, number>, key: string, n = 1) => {
    rec[key] = (rec[key] ?? 0) + n;
  };

  function updateLink(detail: string): void {
    const now = receiveFailures > 0 || sendFailing;
    if (now === degraded) return;
    degraded = now;
    if (state === "running" || state === "degraded") state = degraded ? "degraded" : "running";
    onEvent({ type: "link", state: degraded ? "degraded" : "ok", detail });
  }

  const batcher = new SendBatcher({
    client: opts.client,
    counters: c,
    onEvent,
    flushWindowMs: opts.flushWindowMs,
    pendingPerQueueMax: opts.pendingPerQueueMax,
    inFlightPerQueueMax: opts.inFlightPerQueueMax,
    backoff,
    random,
    nowMs,
    onLink(ok, detail) {
      sendFailing = !ok;
      updateLink(detail);
    },
  });

  async function deleteBatch(entries: Array<{ Id: string; ReceiptHandle: string }>): Promise<void> {
    let left = entries;
    for (let attempt = 0; left.length && attempt < deleteAttemptsMax; attempt++) {
      if (attempt > 0) await sleep(backoffDelayMs(attempt - 1, backoff, random));
      count(c.requests, "DeleteMessageBatch");
      try {
        const resp = await opts.client.send(new DeleteMessageBatchCommand({ QueueUrl: opts.queueUrl, Entries: left }));
        c.messagesDeleted += resp.Successful?.length ?? 0;
        // Only the ids that succeeded are done; a receipt SQS refuses (expired) is not worth retrying.
        const failed = resp.Failed ?? [];
        if (failed.length) {
          count(c.errors, "delete_failed", failed.length);
          const again = new Set(failed.filter((f) => !f.SenderFault).map((f) => f.Id));
          const refused = failed.length - again.size;
          if (refused) {
            onEvent({ type: "delete_failed", kind: "other", detail: failed[0]?.Code ?? "refused", count: refused });
          }
          left = left.filter((e) => again.has(e.Id));
        } else {
          left = [];
        }
      } catch (err) {
        const kind = classifySqsError(err);
        count(c.errors, kind);
        if (!isTransient(kind)) {
          onEvent({ type: "delete_failed", kind, detail: describeSqsError(err), count: left.length });
          return;
        }
      }
    }
    if (left.length) {
      onEvent({ type: "delete_failed", kind: "network", detail: "gave up after retries; SQS will redeliver", count: left.length });
    }
  }

  async function handleBatch(messages: SqsMessage[]): Promise<void> {
    const done: Array<{ Id: string; ReceiptHandle: string }> = [];
    for (const m of messages) {
      c.messagesReceived++;
      try {
        await opts.handle(m.Body ?? "");
      } catch (err) {
        count(c.errors, "handler");
        onEvent({ type: "handler_failed", detail: describeSqsError(err) });
      }
      if (m.ReceiptHandle) done.push({ Id: String(done.length), ReceiptHandle: m.ReceiptHandle });
    }
    if (!done.length) return;
    while (deletes.size >= deletesInFlightMax) await Promise.race(deletes);
    const p = deleteBatch(done).finally(() => deletes.delete(p));
    deletes.add(p);
  }

  function receiveFailed(err: unknown): number {
    const kind = classifySqsError(err);
    count(c.errors, kind);
    receiveFailures++;
    let delay = backoffDelayMs(receiveFailures - 1, backoff, random);
    if (kind === "credentials") {
      delay = Math.max(delay, credentialsBackoffMinMs);
      onEvent({ type: "credentials", detail: describeSqsError(err) });
    }
    if (kind === "queue_missing") onEvent({ type: "own_queue_missing", queueUrl: opts.queueUrl });
    onEvent({ type: "receive_failed", kind, detail: describeSqsError(err), failures: receiveFailures, backoffMs: delay });
    updateLink(describeSqsError(err));
    return delay;
  }

  async function run(): Promise<void> {
    while (!stopSignal.signal.aborted) {
      if (receiveBackoffMs > 0) {
        await sleep(receiveBackoffMs, stopSignal.signal);
        if (stopSignal.signal.aborted) break;
      }
      poll = new AbortController();
      let messages: SqsMessage[];
      count(c.requests, "ReceiveMessage");
      try {
        const resp = await opts.client.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: RECEIVE_MESSAGES_MAX,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: opts.visibilityTimeoutSeconds,
          }),
          { abortSignal: poll.signal },
        );
        messages = resp.Messages ?? [];
        receiveFailures = 0;
        receiveBackoffMs = 0;
        updateLink("receive ok");
      } catch (err) {
        if (stopSignal.signal.aborted) break;
        receiveBackoffMs = receiveFailed(err);
        continue;
      } finally {
        poll = null;
      }
      // Held messages are handled and deleted even when a stop arrives meanwhile.
      if (messages.length) await handleBatch(messages);
    }
  }

  return {
    start() {
      if (state !== "idle") return;
      state = "running";
      loop = run().catch((err) => {
        // Unreachable by design; if it happens, say so rather than die silently.
        count(c.errors, "loop");
        onEvent({ type: "handler_failed", detail: `receive loop ended: ${describeSqsError(err)}` });
      });
    },
    send(queueUrl, body, to) {
      return batcher.enqueue(queueUrl, body, to);
    },
    async stop(boundMs = 5000) {
      if (state === "stopped" || state === "stopping") return { sendsDropped: 0, clean: true };
      state = "stopping";
      const deadline = nowMs() + boundMs;
      stopSignal.abort();
      poll?.abort();
      const timeLeft = () => Math.max(0, deadline - nowMs());
      const bounded = (p: Promise<unknown>) => Promise.race([p.then(() => true), sleep(timeLeft()).then(() => false)]);
      let clean = true;
      if (loop) clean = (await bounded(loop)) && clean;
      clean = (await bounded(Promise.all([...deletes]))) && clean;
      const sendsDropped = await batcher.drain(deadline);
      state = "stopped";
      return { sendsDropped, clean: clean && sendsDropped === 0 };
    },
    counters() {
      return {
        ...c,
        requests: { ...c.requests },
        errors: { ...c.errors },
        backoffMs: Math.max(receiveBackoffMs, batcher.backoffMs()),
      };
    },
    state: () => state,
  };
}
