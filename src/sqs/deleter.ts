import { DeleteMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { backoffDelayMs, sleep, type BackoffOptions } from "./backoff.ts";
import { countIn as count, type TransportCounters } from "./counters.ts";
import { classifySqsError, describeSqsError, isTransient } from "./errors.ts";
import type { TransportEvent } from "./events.ts";

/** SQS's largest DeleteMessageBatch. */
export const DELETE_BATCH_MAX = 10;

export interface DeleteBatcherOptions {
  client: SQSClient;
  queueUrl: string;
  counters: TransportCounters;
  onEvent: (e: TransportEvent) => void;
  /** Longest a handled message waits for its delete, ms (see TransportOptions.deleteFlushMs). */
  flushMs: number;
  /** Concurrent DeleteMessageBatch requests. */
  inFlightMax: number;
  /** Attempts per batch on transient errors; after that SQS redelivers and the core dedupes. */
  attemptsMax: number;
  backoff: Required<BackoffOptions>;
  random: () => number;
}

/**
 * Deletes of handled messages, gathered: a full batch of 10 leaves at once, a
 * partial one when its oldest entry has waited `flushMs`, so the messages of
 * one tick's exchange (the peers' bursts, then the PONGs, in separate
 * receives) share one DeleteMessageBatch. A batch can partly fail: only the
 * ids that succeeded count as deleted.
 */
export class DeleteBatcher {
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightCount = 0;
  private draining = false;

  constructor(private readonly o: DeleteBatcherOptions) {}

  /** Receipts waiting or in flight. */
  size(): number {
    return this.pending.length + this.inFlightCount;
  }

  /** One handled message's receipt handle. */
  add(receiptHandle: string): void {
    this.pending.push(receiptHandle);
    this.pump();
  }

  /**
   * Resolves when there is room for another received batch: the poll loop
   * waits here, so receipts waiting on a failing endpoint stay bounded.
   */
  async room(): Promise<void> {
    while (this.pending.length >= DELETE_BATCH_MAX * this.o.inFlightMax && this.inFlight.size > 0) {
      await Promise.race(this.inFlight);
    }
  }

  /** Sends everything pending now and resolves once nothing is pending or in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    this.clearTimer();
    this.pump();
    while (this.inFlight.size > 0) {
      await Promise.race(this.inFlight);
      this.pump();
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Full batches go now; a partial one at the flush bound (or at once while draining). */
  private pump(partialToo = this.draining): void {
    while (this.inFlight.size < this.o.inFlightMax && (this.pending.length >= DELETE_BATCH_MAX || (partialToo && this.pending.length > 0))) {
      const batch = this.pending.splice(0, DELETE_BATCH_MAX);
      this.inFlightCount += batch.length;
      const p: Promise<void> = this.send(batch).finally(() => {
        this.inFlightCount -= batch.length;
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
    if (this.pending.length === 0) this.clearTimer();
    else if (this.timer === undefined && !this.draining) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump(true);
      }, this.o.flushMs);
    }
  }

  private async send(handles: string[]): Promise<void> {
    const c = this.o.counters;
    let left = handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle }));
    for (let attempt = 0; left.length && attempt < this.o.attemptsMax; attempt++) {
      if (attempt > 0) await sleep(backoffDelayMs(attempt - 1, this.o.backoff, this.o.random));
      count(c.requests, "DeleteMessageBatch");
      try {
        const resp = await this.o.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.o.queueUrl, Entries: left }));
        c.messagesDeleted += resp.Successful?.length ?? 0;
        // Only the ids that succeeded are done; a receipt SQS refuses (expired) is not worth retrying.
        const failed = resp.Failed ?? [];
        if (failed.length) {
          count(c.errors, "delete_failed", failed.length);
          const again = new Set(failed.filter((f) => !f.SenderFault).map((f) => f.Id));
          const refused = failed.length - again.size;
          if (refused) {
            this.o.onEvent({ type: "delete_failed", kind: "other", detail: failed[0]?.Code ?? "refused", count: refused });
          }
          left = left.filter((e) => again.has(e.Id));
        } else {
          left = [];
        }
      } catch (err) {
        const kind = classifySqsError(err);
        count(c.errors, kind);
        if (!isTransient(kind)) {
          this.o.onEvent({ type: "delete_failed", kind, detail: describeSqsError(err), count: left.length });
          return;
        }
      }
    }
    if (left.length) {
      this.o.onEvent({ type: "delete_failed", kind: "network", detail: "gave up after retries; SQS will redeliver", count: left.length });
    }
  }
}
