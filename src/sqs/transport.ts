import { ReceiveMessageCommand, type Message as SqsMessage, type SQSClient } from "@aws-sdk/client-sqs";
import { backoffDelayMs, DEFAULT_BACKOFF, endsWithin, sleep, type BackoffOptions } from "./backoff.ts";
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
   * Handles one message body. Sends made while it runs (synchronously) are
   * the message's unit of work: it is deleted only once SQS accepted every one
   * of them (an outbox). If one is lost instead (attempts used up, a stop
   * before it left), the message stays, and SQS hands it over again after the
   * visibility timeout. A handler that throws leaves its message for
   * redelivery too, up to `receivesMax` receives; then it is dropped.
   */
  handle: (body: string, received: Received) => void | Promise<void>;
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
  /**
   * Receives of a message whose handler keeps throwing before it is dropped
   * (deleted, counted as `poison_dropped`, reported once), as SQS's
   * maxReceiveCount would; read from the message's ApproximateReceiveCount.
   * Default 5. A poison message thus never loops and never blocks the
   * queue: the others go on meanwhile.
   */
  receivesMax?: number;
  /** Received messages whose unit of work is still open; the poll loop waits at the bound. Default 100. */
  unitsOpenMax?: number;
  /** Backoff after failed requests. Default 200 ms doubling to 20 s. */
  backoff?: BackoffOptions;
  /** Each SendMessageBatch waits for it before it leaves (the runner's outbox reaching the disk); must not reject. */
  beforeSend?: () => Promise<void> | void;
  /** Least wait after rejected credentials, ms: a fix takes a human. Default 30 000. */
  credentialsBackoffMinMs?: number;
  /** Jitter source; default Math.random (timing only, never protocol behaviour). */
  random?: () => number;
  nowMs?: () => number;
}

export type TransportState = "idle" | "running" | "degraded" | "stopping" | "stopped";

/** What the handler is told about the message it handles. */
export interface Received {
  /** How many times SQS has handed this message over, this time included (ApproximateReceiveCount). */
  receiveCount: number;
  /**
   * `fn` runs once SQS accepted everything sent while handling the message,
   * just before its delete is queued (the runner keeps its dedupe keys then);
   * never if a send was lost, for the message is then left to be redelivered.
   */
  onDone(fn: () => void): void;
  /** `fn` runs instead when a send was lost: the message stays for SQS to hand over again, and must then be handled anew. */
  onLost(fn: () => void): void;
}

export interface TransportStopReport {
  /** Sends still pending at the bound, dropped. */
  sendsDropped: number;
  /**
   * Received messages left in the queue at stop, by why: `send_lost` (a send
   * it caused could not be delivered), `sends_in_flight` (still unanswered at
   * the bound), `delete_unconfirmed` (its delete did not finish). SQS hands
   * them over again; the next run's dedupe memory knows those whose effects
   * were complete.
   */
  inputsLeft: Record<string, number>;
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
  /**
   * Sends again what a previous run noted and may not have got out (no input
   * to delete: it was handed over again and passed as a repeat); `onDone`
   * once SQS took all of it.
   */
  replay(sends: ReadonlyArray<{ queueUrl: string; body: string; to?: string }>, onDone: () => void): void;
  /** Stops polling, finishes and deletes what it holds, flushes sends; within `boundMs` (default 5000). */
  stop(boundMs?: number): Promise<TransportStopReport>;
  counters(): TransportCounters;
  state(): TransportState;
}

/** SQS's largest receive batch. */
const RECEIVE_MESSAGES_MAX = 10;

/** One received message and what its handling sent: deleted when all of it was accepted. */
interface Unit {
  receipt: string | undefined;
  /** Sends not yet answered. */
  open: number;
  /** Handling finished; no more sends join. */
  sealed: boolean;
  lost: boolean;
  settled: boolean;
  onDone: Array<() => void>;
  onLost: Array<() => void>;
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
  const credentialsBackoffMinMs = opts.credentialsBackoffMinMs ?? 30_000;
  const c = emptyTransportCounters();
  const receivesMax = Math.max(1, opts.receivesMax ?? 5);
  const unitsOpenMax = Math.max(1, opts.unitsOpenMax ?? 100);
  /** Units waiting for their sends; `current` is the one whose handler is running. */
  const units = new Set<Unit>();
  let current: Unit | null = null;
  let unitWaiters: Array<() => void> = [];

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
    ...(opts.beforeSend ? { beforeSend: opts.beforeSend } : {}),
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

  /** A unit whose sends are all answered: deleted if none was lost, else left for SQS to hand over again. */
  function settle(u: Unit): void {
    if (u.settled || !u.sealed || u.open > 0) return;
    u.settled = true;
    units.delete(u);
    for (const w of unitWaiters.splice(0)) w();
    if (u.lost) {
      count(c.errors, "input_kept_send_lost");
      for (const fn of u.onLost) fn();
      return;
    }
    for (const fn of u.onDone) {
      try {
        fn();
      } catch (err) {
        // The dedupe memory could not be kept: the delete still goes, as it did before there was one.
        onEvent({ type: "handler_failed", detail: `after handling: ${describeSqsError(err)}` });
      }
    }
    // Never before handling and never before its sends: a node that dies meanwhile loses nothing.
    if (u.receipt) deleter.add(u.receipt);
  }

  async function handleBatch(messages: SqsMessage[]): Promise<void> {
    for (const m of messages) {
      c.messagesReceived++;
      const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? 1) || 1;
      const u: Unit = { receipt: m.ReceiptHandle, open: 0, sealed: false, lost: false, settled: false, onDone: [], onLost: [] };
      units.add(u);
      try {
        current = u;
        const r = opts.handle(m.Body ?? "", { receiveCount, onDone: (fn) => void u.onDone.push(fn), onLost: (fn) => void u.onLost.push(fn) });
        current = null;
        await r;
      } catch (err) {
        current = null;
        units.delete(u);
        count(c.errors, "handler");
        const detail = describeSqsError(err);
        if (receiveCount >= receivesMax) {
          // Poison: it failed on every receive; it goes, so that it neither loops nor holds the queue.
          count(c.errors, "poison_dropped");
          onEvent({ type: "poison_dropped", detail, receiveCount });
          if (m.ReceiptHandle) deleter.add(m.ReceiptHandle);
        } else {
          // A bug's failure may be a passing one (a bound, a race): SQS hands it over again after the visibility timeout.
          onEvent({ type: "handler_failed", detail, receiveCount });
        }
        continue;
      }
      u.sealed = true;
      settle(u);
    }
    await deleter.room();
    while (units.size >= unitsOpenMax && !stopSignal.signal.aborted) {
      await new Promise<void>((resolve) => unitWaiters.push(resolve));
    }
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
            // How often a message came back: the bound on a handler that keeps failing.
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
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
      const u = current;
      if (u === null) return batcher.enqueue(queueUrl, body, to, holdMs);
      u.open++;
      return batcher.enqueue(queueUrl, body, to, holdMs, (outcome) => {
        u.open--;
        if (outcome === "lost") u.lost = true;
        settle(u);
      });
    },
    replay(sends, onDone) {
      const u: Unit = { receipt: undefined, open: 0, sealed: false, lost: false, settled: false, onDone: [onDone], onLost: [] };
      units.add(u);
      const outer = current;
      current = u;
      try {
        for (const s of sends) this.send(s.queueUrl, s.body, s.to);
      } finally {
        current = outer;
      }
      u.sealed = true;
      settle(u);
    },
    expectBurst(atMs) {
      burstUntilMs = Math.max(burstUntilMs, atMs);
    },
    async stop(boundMs = 5000) {
      if (state === "stopped" || state === "stopping") return { sendsDropped: 0, inputsLeft: {}, clean: true };
      state = "stopping";
      const deadline = nowMs() + boundMs;
      stopSignal.abort();
      poll?.abort();
      for (const w of unitWaiters.splice(0)) w();
      const timeLeft = () => Math.max(0, deadline - nowMs());
      let clean = true;
      if (loop) clean = (await endsWithin(loop, timeLeft())) && clean;
      const keptBefore = c.errors.input_kept_send_lost ?? 0;
      // Sends first: their units then queue the deletes that the deleter's drain sends.
      const sendsDropped = await batcher.drain(deadline);
      const inputsLeft: Record<string, number> = {};
      const sendLost = (c.errors.input_kept_send_lost ?? 0) - keptBefore;
      if (sendLost > 0) inputsLeft.send_lost = sendLost;
      if (units.size > 0) inputsLeft.sends_in_flight = units.size;
      const deletedBefore = c.messagesDeleted;
      const deletesQueued = deleter.size();
      clean = (await endsWithin(deleter.drain(), timeLeft())) && clean;
      const unconfirmed = deletesQueued - (c.messagesDeleted - deletedBefore);
      if (unconfirmed > 0) inputsLeft.delete_unconfirmed = unconfirmed;
      state = "stopped";
      return { sendsDropped, inputsLeft, clean: clean && sendsDropped === 0 && Object.keys(inputsLeft).length === 0 };
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
