import type { Rng } from "../core/rng.ts";
import type { Message } from "../protocol/index.ts";
import { nodeIdOfQueueUrl } from "../protocol/index.ts";
import type { SimOptions } from "./options.ts";

/** Why a message never arrived. */
export type DropReason = "partition" | "silenced" | "loss" | "queue_missing" | "queue_full";
/** Why a message arrived later than its plain delivery delay, or twice. */
export type DelayReason = "reorder_hold" | "duplicate" | "target_down";

export interface DropRecord {
  atMs: number;
  from: string;
  to: string;
  type: string;
  msgId: string;
  reason: DropReason;
}

export type NetworkOptions = Pick<
  SimOptions,
  "dup" | "reorder" | "loss" | "delayMinMs" | "delayJitterMs" | "delayJitterMaxMs" | "reorderMaxMs" | "dupLagMaxMs"
>;

/** Where a routed message goes: a queue index and the time it becomes receivable. */
export type Deliver = (toIx: number, fromIx: number, message: Message, atMs: number) => void;

/** Messages a stopped node's queue holds before the oldest are lost (SQS holds far more; this bounds memory). */
export const PARKED_PER_QUEUE_MAX = 200_000;
/** Drops kept word for word for the report; the rest are only counted. */
export const DROP_LOG_MAX = 200;

/**
 * The simulated queue network: one queue per node, addressed by queue URL as
 * SQS does. Each message draws the same five numbers whatever the options,
 * so that turning duplication or reordering on leaves every other message's
 * delay unchanged and two runs can be compared message by message.
 */
export class Network {
  readonly dropped: Record<DropReason, number> = { partition: 0, silenced: 0, loss: 0, queue_missing: 0, queue_full: 0 };
  readonly delayed: Record<DelayReason, number> = { reorder_hold: 0, duplicate: 0, target_down: 0 };
  readonly dropLog: DropRecord[] = [];
  /** Messages handed to the network (before drops and duplicates). */
  sent = 0;
  private readonly urlIx = new Map<string, number>();
  private readonly parked: Array<Array<{ fromIx: number; message: Message }>>;

  constructor(
    private readonly rng: Rng,
    private readonly o: NetworkOptions,
    private readonly ids: readonly string[],
    private readonly prefix: string,
    private readonly deliver: Deliver,
  ) {
    this.parked = ids.map(() => []);
  }

  /** The queue a URL names, or -1 when no such queue exists. */
  queueOf(url: string): number {
    let ix = this.urlIx.get(url);
    if (ix === undefined) {
      const id = nodeIdOfQueueUrl(this.prefix, url);
      ix = id === null ? -1 : this.ids.indexOf(id);
      if (this.urlIx.size < 100_000) this.urlIx.set(url, ix);
    }
    return ix;
  }

  /**
   * Routes one message. `blocked` is the fault that stops it (a partition,
   * a silenced sender), or null. Returns the target queue, or -1 when the
   * queue does not exist.
   */
  send(fromIx: number, queueUrl: string, message: Message, nowMs: number, blocked: DropReason | null): number {
    this.sent++;
    const r = this.rng;
    const uJitter = r.float();
    const uHold = r.float();
    const uHoldMs = r.float();
    const uDup = r.float();
    const uDupLag = r.float();
    const uLoss = r.float();
    const toIx = this.queueOf(queueUrl);
    if (toIx < 0) {
      this.drop(nowMs, fromIx, queueUrl, message, "queue_missing");
      return -1;
    }
    if (blocked !== null) {
      this.drop(nowMs, fromIx, this.ids[toIx]!, message, blocked);
      return toIx;
    }
    if (uLoss < this.o.loss) {
      this.drop(nowMs, fromIx, this.ids[toIx]!, message, "loss");
      return toIx;
    }
    const o = this.o;
    let delayMs = o.delayMinMs + Math.min(o.delayJitterMaxMs, -Math.log(1 - uJitter) * o.delayJitterMs);
    if (uHold < o.reorder) {
      delayMs += uHoldMs * o.reorderMaxMs;
      this.delayed.reorder_hold++;
    }
    const atMs = Math.round(nowMs + delayMs);
    this.deliver(toIx, fromIx, message, atMs);
    if (uDup < o.dup) {
      this.delayed.duplicate++;
      this.deliver(toIx, fromIx, message, Math.round(atMs + uDupLag * o.dupLagMaxMs));
    }
    return toIx;
  }

  /** A message reached the queue of a stopped node: it waits there. */
  park(toIx: number, fromIx: number, message: Message, nowMs: number): void {
    const q = this.parked[toIx]!;
    if (q.length >= PARKED_PER_QUEUE_MAX) {
      const lost = q.shift()!;
      this.drop(nowMs, lost.fromIx, this.ids[toIx]!, lost.message, "queue_full");
    }
    this.delayed.target_down++;
    q.push({ fromIx, message });
  }

  /** A node came back: what waited in its queue arrives over its first polls. */
  unpark(toIx: number, nowMs: number): void {
    const q = this.parked[toIx]!;
    this.parked[toIx] = [];
    for (const { fromIx, message } of q) {
      const atMs = Math.round(nowMs + this.o.delayMinMs + this.rng.float() * this.o.delayJitterMs);
      this.deliver(toIx, fromIx, message, atMs);
    }
  }

  parkedCount(ix: number): number {
    return this.parked[ix]!.length;
  }

  private drop(atMs: number, fromIx: number, to: string, message: Message, reason: DropReason): void {
    this.dropped[reason]++;
    if (this.dropLog.length < DROP_LOG_MAX) {
      this.dropLog.push({ atMs, from: this.ids[fromIx]!, to, type: message.type, msgId: message.msg_id, reason });
    }
  }
}
