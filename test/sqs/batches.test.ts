/**
 * The send batcher and the delete batcher on the embedded SQS, through the
 * real SDK client: batches SQS answers in part, and the bounds that drop
 * messages before they are sent.
 */
import { describe, expect, test } from "bun:test";
import { ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { SendBatcher, type SendBatcherOptions } from "../../src/sqs/batcher.ts";
import { emptyTransportCounters } from "../../src/sqs/counters.ts";
import { DeleteBatcher } from "../../src/sqs/deleter.ts";
import type { TransportEvent } from "../../src/sqs/events.ts";
import { queueDepth } from "../../src/sqs/queues.ts";
import { until } from "../support/until.ts";
import { drainBodies, perTest, type Local } from "./helpers.ts";
import { failEntries, INVALID_BODY } from "./partial.ts";

const { cleanups, env } = perTest();
const FAST_BACKOFF = { baseMs: 20, maxMs: 80 };

function batcher(l: Local, extra: Partial<SendBatcherOptions> = {}) {
  const counters = emptyTransportCounters();
  const events: TransportEvent[] = [];
  const b = new SendBatcher({
    client: l.client,
    counters,
    onEvent: (e) => events.push(e),
    backoff: FAST_BACKOFF,
    random: () => 0.5,
    nowMs: Date.now,
    onLink: () => {},
    ...extra,
  });
  cleanups.push(() => b.drain(Date.now() + 2000));
  return { b, counters, events };
}

describe("a send batch SQS answers in part", () => {
  test("an entry SQS refuses is reported and not counted; the others are sent and counted", async () => {
    const l = await env();
    const dest = await l.queue("bot-bravo");
    const { b, counters, events } = batcher(l);
    const bodies = ["a", "b", INVALID_BODY, "c"];
    for (const body of bodies) expect(b.enqueue(dest, body, "bot-bravo")).toBe(true);
    await b.drain(Date.now() + 5000);
    expect(counters.requests.SendMessageBatch).toBe(1);
    expect(counters.messagesSent).toBe(3);
    expect(counters.errors.send_refused).toBe(1);
    const failed = events.filter((e) => e.type === "send_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: "send_failed", queueUrl: dest, to: "bot-bravo", kind: "other", dropped: 1 });
    expect((failed[0] as { detail: string }).detail).toStartWith("InvalidMessageContents");
    expect((await drainBodies(l.client, dest)).sort()).toEqual(["a", "b", "c"]);
  });

  test("an entry failed by the server is sent again alone; each message is counted once, when it succeeds", async () => {
    const l = await env();
    const dest = await l.queue("bot-bravo");
    // SQS's own InternalError on entry 1 of the first request only.
    failEntries<{ Id?: string }>(l.client, "SendMessageBatchCommand", (e, req) => (req === 0 && e.Id === "1" ? { senderFault: false, code: "InternalError" } : null));
    const { b, counters, events } = batcher(l);
    for (const body of ["a", "b", "c"]) b.enqueue(dest, body, "bot-bravo");
    await until("the retried entry sent", 5000, () => counters.messagesSent === 3);
    expect(counters.requests.SendMessageBatch).toBe(2);
    expect(counters.errors.server).toBe(1);
    expect(events.filter((e) => e.type === "send_retry")).toEqual([
      { type: "send_retry", queueUrl: dest, kind: "server", count: 1, backoffMs: expect.any(Number) },
    ]);
    expect(events.some((e) => e.type === "send_failed")).toBe(false);
    expect((await drainBodies(l.client, dest)).sort()).toEqual(["a", "b", "c"]);
  });
});

describe("the send batcher's bounds", () => {
  test("queue_full: past pendingPerQueueMax waiting for one queue, newer messages are dropped and reported", async () => {
    const l = await env();
    const dest = await l.queue("bot-bravo");
    // A long flush window keeps the first messages waiting while the rest arrive.
    const { b, counters, events } = batcher(l, { pendingPerQueueMax: 3, flushWindowMs: 60_000 });
    const accepted = ["0", "1", "2", "3", "4"].map((body) => b.enqueue(dest, body, "bot-bravo"));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(events.filter((e) => e.type === "send_dropped")).toEqual([
      { type: "send_dropped", queueUrl: dest, to: "bot-bravo", reason: "queue_full", count: 1 },
      { type: "send_dropped", queueUrl: dest, to: "bot-bravo", reason: "queue_full", count: 1 },
    ]);
    expect(counters.errors.send_dropped_queue_full).toBe(2);
    expect(await b.drain(Date.now() + 5000)).toBe(0);
    expect((await drainBodies(l.client, dest)).sort()).toEqual(["0", "1", "2"]);
  });

  test("destinations_full: past destinationsMax queues at once, a message to a new queue is dropped; known queues still take more", async () => {
    const l = await env();
    const [q1, q2, q3] = [await l.queue("n1"), await l.queue("n2"), await l.queue("n3")];
    const { b, counters, events } = batcher(l, { destinationsMax: 2, flushWindowMs: 60_000 });
    expect(b.enqueue(q1, "to-1", "n1")).toBe(true);
    expect(b.enqueue(q2, "to-2", "n2")).toBe(true);
    expect(b.enqueue(q3, "to-3", "n3")).toBe(false);
    expect(b.enqueue(q1, "to-1-again", "n1")).toBe(true);
    expect(events.filter((e) => e.type === "send_dropped")).toEqual([
      { type: "send_dropped", queueUrl: q3, to: "n3", reason: "destinations_full", count: 1 },
    ]);
    expect(counters.errors.send_dropped_destinations_full).toBe(1);
    expect(await b.drain(Date.now() + 5000)).toBe(0);
    expect((await drainBodies(l.client, q1)).sort()).toEqual(["to-1", "to-1-again"]);
    expect(await drainBodies(l.client, q2)).toEqual(["to-2"]);
    expect(await drainBodies(l.client, q3)).toEqual([]);
  });

  test("a queue served and idle again frees its place for another", async () => {
    const l = await env();
    const [q1, q2] = [await l.queue("n1"), await l.queue("n2")];
    const { b, counters } = batcher(l, { destinationsMax: 1 });
    expect(b.enqueue(q1, "first", "n1")).toBe(true);
    await until("the first message sent", 5000, () => counters.messagesSent === 1);
    // The batch's bookkeeping ends a turn after the request returns.
    await until("a place for a second queue", 5000, () => b.enqueue(q2, "second", "n2") || null);
    await until("the second message sent", 5000, () => counters.messagesSent === 2);
    expect(await drainBodies(l.client, q2)).toEqual(["second"]);
  });
});

describe("a delete batch SQS answers in part", () => {
  async function received(l: Local, n: number) {
    const own = await l.queue("bot-alpha");
    for (let i = 0; i < n; i += 10) {
      const entries = Array.from({ length: Math.min(10, n - i) }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` }));
      await l.client.send(new SendMessageBatchCommand({ QueueUrl: own, Entries: entries }));
    }
    const handles: string[] = [];
    while (handles.length < n) {
      const r = await l.client.send(new ReceiveMessageCommand({ QueueUrl: own, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
      handles.push(...(r.Messages ?? []).map((m) => m.ReceiptHandle!));
    }
    return { own, handles };
  }

  function deleter(l: Local, queueUrl: string) {
    const counters = emptyTransportCounters();
    const events: TransportEvent[] = [];
    const d = new DeleteBatcher({
      client: l.client,
      queueUrl,
      counters,
      onEvent: (e) => events.push(e),
      flushMs: 50,
      inFlightMax: 2,
      attemptsMax: 3,
      backoff: FAST_BACKOFF,
      random: () => 0.5,
    });
    return { d, counters, events };
  }

  test("only the ids that succeeded count as deleted; a refused receipt is reported and not retried, a server failure is retried", async () => {
    const l = await env();
    const { own, handles } = await received(l, 10);
    // Of the first request: entries 2 and 5 refused for good, entry 7 failed by the server (retried).
    const { withheld } = failEntries<{ Id?: string }>(l.client, "DeleteMessageBatchCommand", (e, req) => {
      if (req !== 0) return null;
      if (e.Id === "2" || e.Id === "5") return { senderFault: true, code: "ReceiptHandleIsInvalid" };
      if (e.Id === "7") return { senderFault: false, code: "InternalError" };
      return null;
    });
    const { d, counters, events } = deleter(l, own);
    for (const h of handles) d.add(h);
    await d.drain();
    expect(withheld()).toBe(3);
    expect(counters.requests.DeleteMessageBatch).toBe(2);
    expect(counters.messagesDeleted).toBe(8);
    expect(counters.errors.delete_failed).toBe(3);
    expect(events).toEqual([{ type: "delete_failed", kind: "other", detail: "ReceiptHandleIsInvalid", count: 2 }]);
    // The two refused are still in the queue, in flight until SQS redelivers them.
    expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 2 });
  });

  test("a server failure on every attempt is given up after attemptsMax and reported; only the others count as deleted", async () => {
    const l = await env();
    const { own, handles } = await received(l, 3);
    failEntries<{ Id?: string }>(l.client, "DeleteMessageBatchCommand", (e) => (e.Id === "0" ? { senderFault: false, code: "InternalError" } : null));
    const { d, counters, events } = deleter(l, own);
    for (const h of handles) d.add(h);
    await d.drain();
    expect(counters.requests.DeleteMessageBatch).toBe(3);
    expect(counters.messagesDeleted).toBe(2);
    expect(counters.errors.delete_failed).toBe(3);
    expect(events).toEqual([{ type: "delete_failed", kind: "network", detail: "gave up after retries; SQS will redeliver", count: 1 }]);
    expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 1 });
  });
});
