import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { backoffDelayMs, type BackoffOptions } from "./backoff.ts";
import { countIn, type TransportCounters } from "./counters.ts";
import { classifySqsError, describeSqsError, isTransient } from "./errors.ts";
import type { SendDropReason, TransportEvent } from "./events.ts";

/**
 * SQS limits on one SendMessageBatch: 10 entries, and a total of all bodies
 * no larger than the largest message. Amazon raised that to 1 MiB in 2025,
 * but a queue keeps the MaximumMessageSize it was made with (256 KiB before),
 * some regions' documentation still says 256 KiB, and moto checks its own
 * 1 MiB: 256 KiB is accepted by all of them.
 */
export const BATCH_ENTRIES_MAX = 10;
export const BATCH_BYTES_MAX = 256 * 1024;

export interface SendBatcherOptions {
  client: SQSClient;
  counters: TransportCounters;
  onEvent: (e: TransportEvent) => void;
  /**
   * Extra wait before a batch to an idle queue, ms. Default 0: the end of the
   * current turn, which already groups everything one tick or one received
   * batch produced; while a request is in flight, messages collect anyway.
   */
  flushWindowMs?: number;
  /** Messages waiting per destination queue; newer ones are dropped beyond it. Default 1000. */
  pendingPerQueueMax?: number;
  /** Destination queues tracked at once (a node knows at most 500 peers). Default 1000. */
  destinationsMax?: number;
  /** Concurrent SendMessageBatch requests per destination. Default 4. */
  inFlightPerQueueMax?: number;
  /**
   * Attempts per message before it is given up. Default 5. A message with an
   * outcome callback (a reply: its input waits for it) is never given up for
   * a transient error: a request that failed may still have reached SQS, and
   * only the same body sent again lets the receiver tell the copy apart.
   */
  entryAttemptsMax?: number;
  backoff: Required<BackoffOptions>;
  random: () => number;
  nowMs: () => number;
  /** A send request failed with a transient error / succeeded: the link's health. */
  onLink: (ok: boolean, detail: string) => void;
  /** Each SendMessageBatch waits for it before it leaves (the runner's outbox reaching the disk); must not reject. */
  beforeSend?: () => Promise<void> | void;
}

/**
 * How one message ended: `sent` (SQS took it), `refused` (it never can be
 * sent: too large, refused by SQS, its queue gone), `lost` (it could have
 * been, but was not: attempts used up, a bound full, the transport stopped).
 */
export type SendOutcome = "sent" | "refused" | "lost";

interface Entry {
  body: string;
  /** Told once how the message ended. */
  done?: (outcome: SendOutcome) => void;
  bytes: number;
  to?: string;
  attempts: number;
  /** Set for a message that may wait to ride with the next batch to its queue: the latest it leaves, ms. */
  holdUntilMs?: number;
}

interface Destination {
  queueUrl: string;
  pending: Entry[];
  inFlight: number;
  timer?: ReturnType<typeof setTimeout>;
  /** When the armed timer fires, ms. */
  timerAtMs: number;
  /** Consecutive failed requests: the exponent of this queue's backoff. */
  failures: number;
  retryAtMs: number;
}

/**
 * Groups outgoing messages per destination queue into SendMessageBatch
 * requests (≤ 10 entries, ≤ 256 KiB), adaptively (see schedule). A failed
 * entry is put back alone; a failed request puts its entries back behind a
 * per-queue backoff; a missing queue drops what was meant for it and says so.
 */
export class SendBatcher {
  private readonly dests = new Map<string, Destination>();
  private readonly o: Required<Omit<SendBatcherOptions, "client" | "counters" | "onEvent" | "backoff" | "random" | "nowMs" | "onLink" | "beforeSend">> &
    SendBatcherOptions;
  private draining = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: SendBatcherOptions) {
    this.o = {
      ...opts,
      flushWindowMs: opts.flushWindowMs ?? 0,
      pendingPerQueueMax: opts.pendingPerQueueMax ?? 1000,
      destinationsMax: opts.destinationsMax ?? 1000,
      inFlightPerQueueMax: opts.inFlightPerQueueMax ?? 4,
      entryAttemptsMax: opts.entryAttemptsMax ?? 5,
    };
  }

  /**
   * Queues one message; false when it was dropped (the reason went out as an
   * event). With `holdMs` it waits for the next batch to the same queue and
   * leaves with it, or alone once `holdMs` has passed.
   */
  enqueue(queueUrl: string, body: string, to?: string, holdMs?: number, done?: (outcome: SendOutcome) => void): boolean {
    const refuse = (reason: SendDropReason, outcome: SendOutcome) => {
      done?.(outcome);
      return this.drop(queueUrl, to, reason, 1);
    };
    if (this.closed) return refuse("stopped", "lost");
    const bytes = Buffer.byteLength(body, "utf8");
    if (bytes > BATCH_BYTES_MAX) return refuse("too_large", "refused");
    let dest = this.dests.get(queueUrl);
    if (!dest) {
      if (this.dests.size >= this.o.destinationsMax) return refuse("destinations_full", "lost");
      dest = { queueUrl, pending: [], inFlight: 0, timerAtMs: 0, failures: 0, retryAtMs: 0 };
      this.dests.set(queueUrl, dest);
    }
    if (dest.pending.length >= this.o.pendingPerQueueMax) return refuse("queue_full", "lost");
    const entry: Entry = { body, bytes, to, attempts: 0, ...(done ? { done } : {}) };
    if (holdMs !== undefined && holdMs > 0) entry.holdUntilMs = this.o.nowMs() + holdMs;
    dest.pending.push(entry);
    if (dest.pending.length >= BATCH_ENTRIES_MAX && this.o.nowMs() >= dest.retryAtMs) {
      // A full batch gains nothing by waiting out the window.
      this.clearTimer(dest);
      this.flush(dest);
    } else {
      this.schedule(dest);
    }
    return true;
  }

  /** Largest remaining per-queue backoff, ms. */
  backoffMs(): number {
    const now = this.o.nowMs();
    let ms = 0;
    for (const d of this.dests.values()) ms = Math.max(ms, d.retryAtMs - now);
    return ms;
  }

  /**
   * Sends everything pending now, ignoring window and backoff, and resolves
   * when nothing is pending or in flight, or at `deadlineMs`. Whatever is
   * still pending then is dropped and reported. Later enqueues are refused.
   */
  async drain(deadlineMs: number): Promise<number> {
    this.draining = true;
    for (const d of this.dests.values()) {
      this.clearTimer(d);
      d.retryAtMs = 0;
      this.flush(d);
    }
    while (!this.isIdle() && this.o.nowMs() < deadlineMs) {
      const left = deadlineMs - this.o.nowMs();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, left));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closed = true;
    let dropped = 0;
    for (const d of this.dests.values()) {
      this.clearTimer(d);
      if (d.pending.length) {
        dropped += d.pending.length;
        this.drop(d.queueUrl, d.pending[0]!.to, "stopped", d.pending.length);
        end(d.pending, "lost");
        d.pending = [];
      }
    }
    return dropped;
  }

  private isIdle(): boolean {
    for (const d of this.dests.values()) if (d.pending.length || d.inFlight) return false;
    return true;
  }

  private drop(queueUrl: string, to: string | undefined, reason: SendDropReason, count: number): false {
    countIn(this.o.counters.errors, `send_dropped_${reason}`, count);
    this.o.onEvent({ type: "send_dropped", queueUrl, to, reason, count });
    return false;
  }

  private clearTimer(d: Destination): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
  }

  /**
   * Adaptive batching: with nothing in flight to a queue, its messages leave
   * at the end of the current turn (a tick's burst shares one request, a lone
   * reply waits for nothing); while a request is in flight, more collect
   * until it returns or a batch is full.
   */
  private schedule(d: Destination): void {
    if (d.pending.length === 0 || d.inFlight >= this.o.inFlightPerQueueMax) return;
    const now = this.o.nowMs();
    let wait: number;
    if (d.retryAtMs > now) wait = d.retryAtMs - now;
    else if (this.draining || d.pending.length >= BATCH_ENTRIES_MAX) wait = 0;
    else if (d.inFlight > 0) return; // the request in flight reschedules when it returns
    else wait = Math.max(this.o.flushWindowMs, this.holdLeftMs(d, now));
    // An earlier timer stands; a later one (a hold) gives way to a message that may not wait.
    if (d.timer && d.timerAtMs <= now + wait) return;
    this.clearTimer(d);
    d.timerAtMs = now + wait;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      this.flush(d);
    }, wait);
  }

  /** How long every pending message of `d` may still wait: 0 as soon as one may not. */
  private holdLeftMs(d: Destination, now: number): number {
    let left = Infinity;
    for (const e of d.pending) {
      if (e.holdUntilMs === undefined) return 0;
      left = Math.min(left, e.holdUntilMs - now);
    }
    return Math.max(0, left);
  }

  private flush(d: Destination): void {
    while (
      d.pending.length &&
      d.inFlight < this.o.inFlightPerQueueMax &&
      this.o.nowMs() >= d.retryAtMs &&
      // Beside a request in flight, only full batches go; a partial one waits to fill.
      (d.inFlight === 0 || this.draining || d.pending.length >= BATCH_ENTRIES_MAX)
    ) {
      const batch: Entry[] = [];
      let bytes = 0;
      while (batch.length < BATCH_ENTRIES_MAX && d.pending.length) {
        const next = d.pending[0]!;
        if (batch.length && bytes + next.bytes > BATCH_BYTES_MAX) break;
        batch.push(d.pending.shift()!);
        bytes += next.bytes;
      }
      d.inFlight++;
      void this.sendBatch(d, batch).finally(() => {
        d.inFlight--;
        this.schedule(d);
        if (!d.pending.length && !d.inFlight && !d.timer && d.failures === 0) this.dests.delete(d.queueUrl);
        if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
    this.schedule(d);
  }

  private async sendBatch(d: Destination, batch: Entry[]): Promise<void> {
    const c = this.o.counters;
    const ready = this.o.beforeSend?.();
    if (ready) await ready;
    countIn(c.requests, "SendMessageBatch");
    try {
      const resp = await this.o.client.send(
        new SendMessageBatchCommand({
          QueueUrl: d.queueUrl,
          Entries: batch.map((e, i) => ({ Id: String(i), MessageBody: e.body })),
        }),
      );
      this.o.onLink(true, "send ok");
      d.failures = 0;
      c.messagesSent += resp.Successful?.length ?? 0;
      for (const ok of resp.Successful ?? []) batch[Number(ok.Id)]?.done?.("sent");
      const retry: Entry[] = [];
      for (const f of resp.Failed ?? []) {
        const entry = batch[Number(f.Id)];
        if (!entry) continue;
        countIn(c.errors, f.SenderFault ? "send_refused" : "server");
        entry.attempts++;
        if (f.SenderFault || this.givesUp(entry)) {
          entry.done?.(f.SenderFault ? "refused" : "lost");
          this.o.onEvent({
            type: "send_failed",
            queueUrl: d.queueUrl,
            to: entry.to,
            kind: f.SenderFault ? "other" : "server",
            detail: `${f.Code ?? "?"}: ${f.Message ?? ""}`.slice(0, 200),
            dropped: 1,
          });
        } else {
          retry.push(entry);
        }
      }
      if (retry.length) this.putBack(d, retry, "server");
    } catch (err) {
      const kind = classifySqsError(err);
      countIn(c.errors, kind);
      if (kind === "queue_missing") {
        const dropped = batch.length + d.pending.length;
        // Nothing to gain by waiting: the peer's queue is gone (a fact the core is told).
        end(batch, "refused");
        end(d.pending, "refused");
        d.pending = [];
        this.clearTimer(d);
        this.o.onEvent({ type: "queue_missing", queueUrl: d.queueUrl, to: batch[0]?.to, dropped });
        return;
      }
      const detail = describeSqsError(err);
      const givenUp = (dropped: number) => this.o.onEvent({ type: "send_failed", queueUrl: d.queueUrl, to: batch[0]?.to, kind, detail, dropped });
      if (isTransient(kind)) this.o.onLink(false, detail);
      if (kind === "credentials") this.o.onEvent({ type: "credentials", detail });
      if (isTransient(kind) || kind === "credentials") {
        for (const e of batch) e.attempts++;
        const keep = batch.filter((e) => !this.givesUp(e));
        if (keep.length < batch.length) {
          givenUp(batch.length - keep.length);
          end(batch.filter((e) => this.givesUp(e)), "lost");
        }
        if (keep.length) this.putBack(d, keep, kind);
        return;
      }
      givenUp(batch.length);
      end(batch, "refused");
    }
  }

  /** Whether an entry that just failed transiently has had its last attempt (a reply never, while running). */
  private givesUp(e: Entry): boolean {
    return e.done === undefined && e.attempts >= this.o.entryAttemptsMax;
  }

  /** Entries go back to the head of their queue, behind this queue's backoff. */
  private putBack(d: Destination, entries: Entry[], kind: "server" | "throttled" | "network" | "credentials"): void {
    d.failures++;
    const delay = backoffDelayMs(d.failures - 1, this.o.backoff, this.o.random);
    d.retryAtMs = this.o.nowMs() + (this.draining ? Math.min(delay, 100) : delay);
    d.pending.unshift(...entries);
    // The head may now exceed the bound by what was in flight; trim the newest.
    const over = d.pending.length - this.o.pendingPerQueueMax;
    if (over > 0) {
      const trimmed = d.pending.splice(-over);
      this.drop(d.queueUrl, trimmed.at(-1)?.to, "queue_full", trimmed.length);
      end(trimmed, "lost");
    }
    this.o.onEvent({ type: "send_retry", queueUrl: d.queueUrl, kind, count: entries.length, backoffMs: delay });
    this.clearTimer(d);
    this.schedule(d);
  }
}

function end(entries: readonly Entry[], outcome: SendOutcome): void {
  for (const e of entries) e.done?.(outcome);
}
