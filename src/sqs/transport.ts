import { ReceiveMessageCommand, type Message as SqsMessage, type SQSClient } from "@aws-sdk/client-sqs";
import { backoffDelayMs, DEFAULT_BACKOFF, sleep, type BackoffOptions } from "./backoff.ts";
import { SendBatcher } from "./batcher.ts";
import { DeleteBatcher } from "./deleter.ts";
import { countIn as count, emptyTransportCounters, type TransportCounters } from "./counters.ts";
import { classifySqsError, describeSqsError } from "./errors.ts";
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
  /** Concurrent DeleteMessageBatch requests; the poll loop waits when this many are full. Default 4. */
  deletesInFlightMax?: number;
  /**
   * Longest a handled message waits for its delete, ms. Default 1000. Deletes
   * gather into batches of 10 across receives: one tick's exchange (the
   * peers' bursts, then the PONGs to our PINGs) comes in two or three
   * receives within tens of ms, and one DeleteMessageBatch then serves them
   * all. The bound stays far below the visibility timeout (30 s), so a
   * handled message is never redelivered for waiting, and a node that dies
   * redelivers at most its last second of messages, which the core dedupes.
   * Capped at a third of `visibilityTimeoutSeconds` when that is set.
   */
  deleteFlushMs?: number;
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
  /**
   * Queues one message body for `queueUrl`; false if dropped (see events).
   * `to` is the peer it is for. With `holdMs`, the message waits to ride with
   * the next batch to that queue, and leaves alone after `holdMs` at most.
   */
  send(queueUrl: string, body: string, to?: string, holdMs?: number): boolean;
  /**
   * Messages that need no quick answer are due within ms (the PONGs to the
   * runner's PINGs): a receive returning before `atMs` is followed by the
   * next only at `atMs`, so what arrives meanwhile shares one ReceiveMessage.
   * An idle long poll is never cut short or lengthened.
   */
  expectBurst?(atMs: number): void;
  /** Stops polling, finishes and deletes what it holds, flushes sends; within `boundMs` (default 5000). */
  stop(boundMs?: number): Promise<TransportStopReport>;
  counters(): TransportCounters;
  state(): TransportState;
}

/** SQS's largest receive batch. */
const RECEIVE_MESSAGES_MAX = 10;

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
  const credentialsBackoffMinMs = opts.credentialsBackoffMinMs ?? 30_000;
  const c = emptyTransportCounters();

  let state: TransportState = "idle";
  let receiveFailures = 0;
  let receiveBackoffMs = 0;
  let sendFailing = false;
  let degraded = false;
  let loop: Promise<void> | null = null;
  let poll: AbortController | null = null;
  const stopSignal = new AbortController();
  let burstUntilMs = 0;

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

  const visibilityMs = opts.visibilityTimeoutSeconds === undefined ? Infinity : opts.visibilityTimeoutSeconds * 1000;
  const deleter = new DeleteBatcher({
    client: opts.client,
    queueUrl: opts.queueUrl,
    counters: c,
    onEvent,
    flushMs: Math.max(0, Math.min(opts.deleteFlushMs ?? 1000, visibilityMs / 3)),
    inFlightMax: Math.max(1, opts.deletesInFlightMax ?? 4),
    attemptsMax: opts.deleteAttemptsMax ?? 3,
    backoff,
    random,
  });

  async function handleBatch(messages: SqsMessage[]): Promise<void> {
    for (const m of messages) {
      c.messagesReceived++;
      try {
        await opts.handle(m.Body ?? "");
      } catch (err) {
        count(c.errors, "handler");
        onEvent({ type: "handler_failed", detail: describeSqsError(err) });
      }
      // Never before handling: a node that dies mid-batch loses nothing.
      if (m.ReceiptHandle) deleter.add(m.ReceiptHandle);
    }
    await deleter.room();
  }

  function receiveFailed(err: unknown): number {
    const kind = classifySqsError(err);
    const detail = describeSqsError(err);
    count(c.errors, kind);
    receiveFailures++;
    let delay = backoffDelayMs(receiveFailures - 1, backoff, random);
    if (kind === "credentials") {
      delay = Math.max(delay, credentialsBackoffMinMs);
      onEvent({ type: "credentials", detail });
    }
    if (kind === "queue_missing") onEvent({ type: "own_queue_missing", queueUrl: opts.queueUrl });
    onEvent({ type: "receive_failed", kind, detail, failures: receiveFailures, backoffMs: delay });
    updateLink(detail);
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
      if (messages.length) {
        const receivedMs = nowMs();
        await handleBatch(messages);
        if (receivedMs < burstUntilMs) await sleep(burstUntilMs - nowMs(), stopSignal.signal);
      }
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
    send(queueUrl, body, to, holdMs) {
      return batcher.enqueue(queueUrl, body, to, holdMs);
    },
    expectBurst(atMs) {
      burstUntilMs = Math.max(burstUntilMs, atMs);
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
      clean = (await bounded(deleter.drain())) && clean;
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
