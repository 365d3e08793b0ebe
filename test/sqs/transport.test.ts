import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { createTransport, type Received, type Transport, type TransportEvent } from "../../src/sqs/transport.ts";
import { startEmbeddedSqs, SqsPortInUseError } from "../../src/sqs/embedded.ts";
import { createSqsClient, ensureQueue, SqsQueueMissingError, type SqsOptions } from "../../src/sqs/client.ts";
import { queueDepth } from "../../src/sqs/queues.ts";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { build, encode, parse, queueUrlOf } from "../../src/protocol/index.ts";
import { BATCH_BYTES_MAX } from "../../src/sqs/batcher.ts";
import { drainBodies, local, NET, onMoto, perTest, requestTimes, type SqsEnv } from "./helpers.ts";
import { describeWith } from "../support/outside.ts";
import { motoPart, startMoto, type Moto } from "../support/moto.ts";
import { until } from "../support/until.ts";

const { cleanups, env, envOn } = perTest();

/** A 1 s long poll on an empty queue is held by SQS at least this long (a little under the wait, for timer rounding). */
const POLL_HELD_MS_MIN = 950;
/** Failed receives an outage test watches: enough for the backoff to reach its bound (100 ms doubling to 800 ms). */
const OUTAGE_FAILURES = 6;
/** A timer may fire this much before its time as performance.now() measures it. */
const TIMER_SLACK_MS = 5;

function transport(l: SqsEnv, queueUrl: string, handle: (body: string, received: Received) => void | Promise<void>, extra = {}) {
  const events: TransportEvent[] = [];
  const t: Transport = createTransport({
    client: l.client,
    queueUrl,
    handle,
    onEvent: (e) => events.push(e),
    waitTimeSeconds: 1,
    backoff: { baseMs: 100, maxMs: 800 },
    ...extra,
  });
  cleanups.push(() => t.stop(2000));
  return { t, events };
}

/**
 * The edge's behaviour that any SQS should give: run on the embedded SQS and
 * on moto, an independent implementation closer to Amazon's validation.
 */
function edgeSuite(make: () => Promise<SqsEnv> | SqsEnv): void {
  const mk = () => envOn(make);

  /** bot-alpha's transport, not started, and bot-bravo's queue to send to. */
  async function sending() {
    const l = await mk();
    const dest = await l.queue("bot-bravo");
    return { l, dest, ...transport(l, await l.queue("bot-alpha"), () => {}) };
  }

  /** bot-alpha's transport, started, keeping every body it is handed in `got`; bot-bravo's to send to it. */
  async function receiving(extra = {}) {
    const l = await mk();
    const own = await l.queue("bot-alpha");
    const sender = transport(l, await l.queue("bot-bravo"), () => {});
    const got: string[] = [];
    const { t } = transport(l, own, (b) => void got.push(b), extra);
    t.start();
    return { l, own, sender, got, t };
  }

  describe("sending", () => {
    test.each([1, 10, 25, 47])("%i messages to one queue take at most ceil(n/10) SendMessageBatch requests", async (n) => {
      const { l, dest, t } = await sending();
      for (let i = 0; i < n; i++) expect(t.send(dest, JSON.stringify({ i }), "bot-bravo")).toBe(true);
      await until("t.counters().messagesSent === n", 5000, () => t.counters().messagesSent === n);
      expect(t.counters().messagesSent).toBe(n);
      expect(t.counters().requests.SendMessageBatch).toBeLessThanOrEqual(Math.ceil(n / 10));
      const bodies = await drainBodies(l.client, dest);
      expect(bodies.map((b) => JSON.parse(b).i).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    });

    test("a held message rides with the next batch to its queue", async () => {
      const { l, dest, t } = await sending();
      expect(t.send(dest, "pong", "bot-bravo", 10_000)).toBe(true);
      await Bun.sleep(100);
      expect(t.counters().requests.SendMessageBatch).toBeUndefined();
      t.send(dest, "ping", "bot-bravo");
      await until("t.counters().messagesSent === 2", 5000, () => t.counters().messagesSent === 2);
      expect(t.counters().requests.SendMessageBatch).toBe(1);
      expect((await drainBodies(l.client, dest)).sort()).toEqual(["ping", "pong"]);
    });

    test("a held message with no company leaves alone once its hold is over", async () => {
      const { l, dest, t } = await sending();
      t.send(dest, "pong", "bot-bravo", 300);
      await until("t.counters().messagesSent === 1", 3000, () => t.counters().messagesSent === 1);
      expect(t.counters().requests.SendMessageBatch).toBe(1);
      expect(await drainBodies(l.client, dest)).toEqual(["pong"]);
    });

    test("large bodies split batches under 256 KiB; an oversized body is dropped and reported", async () => {
      const { dest, t, events } = await sending();
      const big = "x".repeat(100 * 1024);
      for (let i = 0; i < 4; i++) t.send(dest, big, "bot-bravo");
      expect(t.send(dest, "y".repeat(257 * 1024), "bot-bravo")).toBe(false);
      await until("t.counters().messagesSent === 4", 5000, () => t.counters().messagesSent === 4);
      expect(t.counters().messagesSent).toBe(4);
      // 2 fit in 256 KiB, so 4 need 2 requests.
      expect(t.counters().requests.SendMessageBatch).toBe(2);
      expect(events).toContainEqual({ type: "send_dropped", queueUrl: dest, to: "bot-bravo", reason: "too_large", count: 1 });
    });

    test("PEER_LISTs of 50 long entries go in batches of at most 256 KiB in total, every one delivered whole", async () => {
      const l = await mk();
      const dest = await l.queue("bot-bravo");
      const sizes: number[] = [];
      // The same client, with each SendMessageBatch's total body size noted on the way.
      const spy = new Proxy(l.client, {
        get(target, key, receiver) {
          if (key !== "send") return Reflect.get(target, key, receiver);
          return (cmd: { input: unknown }, o?: unknown) => {
            if (cmd instanceof SendMessageBatchCommand) {
              sizes.push((cmd.input.Entries ?? []).reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ""), 0));
            }
            return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(cmd, o);
          };
        },
      });
      const t = createTransport({ client: spy, queueUrl: await l.queue("bot-alpha"), handle: () => {} });
      cleanups.push(() => t.stop(2000));
      const longUrl = (i: number) => `https://sqs.us-east-1.amazonaws.com/194722398367/${"q".repeat(1900)}-${i}`;
      const list = (n: number) =>
        encode(
          build("PEER_LIST", { sender: "bot-alpha", nowMs: Date.now(), msgId: `pl${n}` }, {
            peers: Array.from({ length: 50 }, (_, i) => ({ node_id: `peer-${n}-${i}`, queue_url: longUrl(i) })),
          }),
        );
      const n = 12;
      const bodies = Array.from({ length: n }, (_, i) => list(i));
      expect(Buffer.byteLength(bodies[0]!)).toBeGreaterThan(90 * 1024);
      for (const b of bodies) expect(t.send(dest, b, "bot-bravo")).toBe(true);
      await until("t.counters().messagesSent === n", 10_000, () => t.counters().messagesSent === n);
      expect(Object.keys(t.counters().errors)).toEqual([]);
      expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(n / 2));
      for (const size of sizes) expect(size).toBeLessThanOrEqual(BATCH_BYTES_MAX);
      const got = (await drainBodies(l.client, dest)).map((b) => parse(b));
      expect(got.map((r) => r.ok && r.message.type === "PEER_LIST" && r.message.peers.length)).toEqual(Array(n).fill(50));
    });

    test("a missing destination queue is reported once per batch, not retried", async () => {
      const l = await mk();
      const { t, events } = transport(l, await l.queue("bot-alpha"), () => {});
      const gone = queueUrlOf(NET, "ghost");
      for (let i = 0; i < 3; i++) t.send(gone, "{}", "ghost");
      await until("events.some((e) => e.type === \"queue_missing\")", 5000, () => events.some((e) => e.type === "queue_missing"));
      // Stopping flushes whatever is pending, a retry behind its backoff included: after it, none can come.
      expect(await t.stop(2000)).toEqual({ sendsDropped: 0, inputsLeft: {}, clean: true });
      expect(events.filter((e) => e.type === "queue_missing")).toEqual([
        { type: "queue_missing", queueUrl: gone, to: "ghost", dropped: 3 },
      ]);
      expect(t.counters().requests.SendMessageBatch).toBe(1);
      expect(t.counters().errors.queue_missing).toBe(1);
    });
  });

  describe("receiving", () => {
    test("hands every body to the handler once, then deletes it with DeleteMessageBatch", async () => {
      const { l, own, sender, got, t } = await receiving();
      for (let i = 0; i < 23; i++) sender.t.send(own, `m${i}`);
      await until("t.counters().messagesDeleted === 23", 5000, () => t.counters().messagesDeleted === 23);
      expect(got.sort()).toEqual([...Array(23).keys()].map((i) => `m${i}`).sort());
      expect(t.counters().messagesDeleted).toBe(23);
      expect(t.counters().requests.DeleteMessageBatch ?? 0).toBeLessThanOrEqual(t.counters().requests.ReceiveMessage!);
      expect(t.counters().requests.DeleteMessage).toBeUndefined();
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 0 });
    });

    test("a handler that throws leaves its message for redelivery up to receivesMax, then drops it; the others go on", async () => {
      const l = await mk();
      const own = await l.queue("bot-alpha");
      const got: string[] = [];
      const counts: number[] = [];
      const { t, events } = transport(
        l,
        own,
        (b, r) => {
          if (b !== "boom") return void got.push(b);
          counts.push(r.receiveCount);
          throw new Error("bad");
        },
        { receivesMax: 2, visibilityTimeoutSeconds: 1 },
      );
      t.start();
      const s = transport(l, await l.queue("bot-bravo"), () => {});
      s.t.send(own, "boom");
      s.t.send(own, "fine-1");
      await until("got.length === 1 && counts.length === 1", 5000, () => got.length === 1 && counts.length === 1);
      // Not deleted: SQS hands it over again once its visibility timeout is over, counting the receives.
      s.t.send(own, "fine-2");
      expect(await until("(t.counters().errors.poison_dropped ?? 0) === 1", 8000, () => (t.counters().errors.poison_dropped ?? 0) === 1)).toBe(true);
      expect(counts).toEqual([1, 2]);
      await until("t.counters().messagesDeleted === 3", 5000, () => t.counters().messagesDeleted === 3);
      expect(got.sort()).toEqual(["fine-1", "fine-2"]);
      expect(t.counters().errors.handler).toBe(2);
      expect(events.filter((e) => e.type === "handler_failed").map((e) => e.type === "handler_failed" && e.receiveCount)).toEqual([1]);
      expect(events.filter((e) => e.type === "poison_dropped")).toEqual([{ type: "poison_dropped", detail: "Error: bad", receiveCount: 2 }]);
      // Dropped for good: it does not come back.
      await Bun.sleep(1500);
      expect(counts).toEqual([1, 2]);
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 0 });
    }, 15_000);

    test("a message is deleted only after SQS accepted what its handling sent (an outbox)", async () => {
      const l = await mk();
      const own = await l.queue("bot-alpha");
      const out = await l.queue("bot-bravo");
      let t!: Transport;
      const done: string[] = [];
      const made = transport(l, own, (b, r) => {
        // The reply waits 1.5 s to ride with a later batch: the input's delete waits with it.
        t.send(out, `reply-${b}`, "bot-bravo", 1500);
        r.onDone(() => done.push(`${b}: ${t.counters().messagesSent} sent, ${t.counters().messagesDeleted} deleted`));
      }, { deleteFlushMs: 0 });
      t = made.t;
      t.start();
      const s = transport(l, await l.queue("bot-charlie"), () => {});
      s.t.send(own, "m1");
      await until("t.counters().messagesReceived === 1", 5000, () => t.counters().messagesReceived === 1);
      await Bun.sleep(500);
      expect([t.counters().messagesSent, t.counters().messagesDeleted]).toEqual([0, 0]);
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 1 });
      await until("t.counters().messagesDeleted === 1", 5000, () => t.counters().messagesDeleted === 1);
      expect(done).toEqual(["m1: 1 sent, 0 deleted"]);
      expect(await drainBodies(l.client, out)).toEqual(["reply-m1"]);
    });

    test("deletes of messages handled across several receives share one DeleteMessageBatch", async () => {
      const { l, own, sender, got, t } = await receiving({ deleteFlushMs: 60_000 });
      // Four messages, each in its own request and receive.
      for (let i = 0; i < 4; i++) {
        sender.t.send(own, `m${i}`);
        await until("got.length === i + 1", 5000, () => got.length === i + 1);
      }
      expect(t.counters().requests.ReceiveMessage).toBeGreaterThanOrEqual(4);
      expect(t.counters().messagesDeleted).toBe(0);
      expect((await t.stop(3000)).clean).toBe(true);
      expect(t.counters().messagesDeleted).toBe(4);
      expect(t.counters().requests.DeleteMessageBatch).toBe(1);
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 0 });
    });

    test("a partial batch of deletes leaves by itself after the flush bound", async () => {
      const { own, sender, t } = await receiving({ deleteFlushMs: 200 });
      sender.t.send(own, "m");
      await until("t.counters().messagesDeleted === 1", 5000, () => t.counters().messagesDeleted === 1);
      expect(t.state()).toBe("running");
      expect(t.counters().requests.DeleteMessageBatch).toBe(1);
    });

    test("a full batch of 10 deletes leaves at once; the rest at stop, before stop returns", async () => {
      const { l, own, sender, got, t } = await receiving({ deleteFlushMs: 60_000 });
      for (let i = 0; i < 13; i++) sender.t.send(own, `m${i}`);
      await until("got.length === 13", 5000, () => got.length === 13);
      // Far before the 60 s bound: only whole batches have gone.
      await until("t.counters().messagesDeleted === 10", 5000, () => t.counters().messagesDeleted === 10);
      expect(t.counters().requests.DeleteMessageBatch).toBe(1);
      const report = await t.stop(3000);
      expect(report.clean).toBe(true);
      expect(t.counters().messagesDeleted).toBe(13);
      expect(t.counters().requests.DeleteMessageBatch).toBe(2);
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 0 });
    });

    test("the delete bound stays under the visibility timeout: a handled message is not redelivered for waiting", async () => {
      const { l, own, sender, got, t } = await receiving({ deleteFlushMs: 60_000, visibilityTimeoutSeconds: 1 });
      sender.t.send(own, "once");
      await until("t.counters().messagesDeleted === 1", 3000, () => t.counters().messagesDeleted === 1);
      // Deleted inside its visibility timeout: the queue holds nothing, so nothing can come back.
      expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 0 });
      expect(got).toEqual(["once"]);
    });

    test("after expectBurst, what arrives inside the window shares one receive", async () => {
      const { own, sender, got, t } = await receiving({ waitTimeSeconds: 20 });
      await until("(t.counters().requests.ReceiveMessage ?? 0) === 1", 5000, () => (t.counters().requests.ReceiveMessage ?? 0) === 1);
      t.expectBurst!(Date.now() + 3000);
      sender.t.send(own, "first");
      await until("got.length === 1", 5000, () => got.length === 1);
      // These two arrive while the loop waits out the window: one receive takes both.
      sender.t.send(own, "second");
      await until("sender.t.counters().messagesSent === 2", 5000, () => sender.t.counters().messagesSent === 2);
      sender.t.send(own, "third");
      await until("sender.t.counters().messagesSent === 3", 5000, () => sender.t.counters().messagesSent === 3);
      expect(got).toEqual(["first"]);
      await until("got.length === 3", 5000, () => got.length === 3);
      // The first long poll, the one after the window, and the long poll now waiting.
      expect(t.counters().requests.ReceiveMessage).toBe(3);
    });

    test("an idle queue costs one ReceiveMessage per long poll", async () => {
      const l = await mk();
      const own = await l.queue("bot-alpha");
      const polls = requestTimes(l.client, "ReceiveMessageCommand");
      const { t } = transport(l, own, () => {});
      t.start();
      await until("three long polls ended", 15_000, () => polls.filter((p) => p.endMs !== null).length >= 3);
      // Each 1 s poll is held by SQS for its whole wait before the next starts: at most one request a second, never a tight loop.
      const starts = polls.map((p) => p.startMs);
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(POLL_HELD_MS_MIN);
      for (const p of polls.filter((p) => p.endMs !== null)) expect(p.endMs! - p.startMs).toBeGreaterThanOrEqual(POLL_HELD_MS_MIN);
      // Nothing but the polls: no deletes, no sends for an empty queue.
      expect(Object.keys(t.counters().requests)).toEqual(["ReceiveMessage"]);
      // The counter moves as a request is made, the recorder a moment later: at most the next poll apart.
      expect(t.counters().requests.ReceiveMessage! - polls.length).toBeOneOf([0, 1]);
    });
  });

  describe("stop", () => {
    test("stop aborts the long poll, handles and deletes what it holds, flushes sends: nothing lost", async () => {
      const l = await mk();
      const own = await l.queue("bot-alpha");
      const out = await l.queue("bot-bravo");
      const n = 40;
      const filler = transport(l, await l.queue("bot-charlie"), () => {});
      for (let i = 0; i < n; i++) filler.t.send(own, `m${i}`);
      await until("filler.t.counters().messagesSent === n", 5000, () => filler.t.counters().messagesSent === n);
      const handled: string[] = [];
      let t!: Transport;
      const made = transport(l, own, async (b) => {
        handled.push(b);
        t.send(out, `reply-${b}`);
        await Bun.sleep(15);
      }, { waitTimeSeconds: 20 });
      t = made.t;
      t.start();
      await until("handled.length >= 5", 5000, () => handled.length >= 5);
      const report = await t.stop(3000);
      expect(report.clean).toBe(true);
      expect(t.state()).toBe("stopped");
      // Everything handled was deleted; everything else is still in the queue.
      expect(new Set(handled).size).toBe(handled.length);
      expect(t.counters().messagesDeleted).toBe(handled.length);
      const depth = await queueDepth(l.client, own);
      expect(depth.visible + depth.inFlight).toBe(n - handled.length);
      // Every reply made while handling went out.
      const replies = await drainBodies(l.client, out);
      expect(replies.sort()).toEqual(handled.map((b) => `reply-${b}`).sort());
      expect(t.send(out, "late")).toBe(false);
    });

    test("a stop during a 20 s long poll returns promptly", async () => {
      const l = await mk();
      const { t } = transport(l, await l.queue("bot-alpha"), () => {}, { waitTimeSeconds: 20 });
      t.start();
      await until("the long poll under way", 5000, () => (t.counters().requests.ReceiveMessage ?? 0) >= 1);
      const t0 = Date.now();
      const report = await t.stop(5000);
      expect(report.clean).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
    });
  });
}

describe("on the embedded SQS", () => edgeSuite(local));

describeWith(motoPart())("on moto, in AWS mode", () => {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
  });
  edgeSuite(() => onMoto(moto!));
});

describe("outage", () => {
  test("the endpoint going away makes the link degraded with bounded retries; it recovers by itself", async () => {
    const first = await startEmbeddedSqs({ port: 0 });
    const port = first.port;
    const opts: SqsOptions = { mode: "local", port, region: NET.region };
    const client = createSqsClient(opts, { requestTimeoutMs: 5000 });
    cleanups.push(async () => client.destroy());
    await ensureQueue(client, opts, NET, "bot-alpha");
    const own = queueUrlOf(NET, "bot-alpha");
    const got: string[] = [];
    const events: TransportEvent[] = [];
    const failures: Array<{ e: Extract<TransportEvent, { type: "receive_failed" }>; atMs: number }> = [];
    const t = createTransport({
      client,
      queueUrl: own,
      handle: (b) => {
        got.push(b);
      },
      waitTimeSeconds: 1,
      backoff: { baseMs: 100, maxMs: 800 },
      onEvent: (e) => {
        events.push(e);
        if (e.type === "receive_failed") failures.push({ e, atMs: performance.now() });
        // What the runner does in local mode: the restarted endpoint is empty.
        if (e.type === "own_queue_missing") void ensureQueue(client, opts, NET, "bot-alpha").catch(() => {});
      },
    });
    cleanups.push(() => t.stop(2000));
    t.start();
    await until("the first long poll under way", 5000, () => (t.counters().requests.ReceiveMessage ?? 0) >= 1);
    await first.stop();

    await until("t.state() === \"degraded\"", 5000, () => t.state() === "degraded");
    await until(`${OUTAGE_FAILURES} failed receives`, 15_000, () => failures.length >= OUTAGE_FAILURES);
    const f = failures.slice(0, OUTAGE_FAILURES);
    // Each retry waits out the backoff its failure announced (a tight loop would not wait at all)...
    for (let i = 1; i < f.length; i++) expect(f[i]!.atMs - f[i - 1]!.atMs).toBeGreaterThanOrEqual(f[i - 1]!.e.backoffMs - TIMER_SLACK_MS);
    // ...which doubles from 100 ms to at most 800 ms, half of it fixed (equal jitter).
    f.forEach(({ e }, i) => {
      const exp = Math.min(800, 100 * 2 ** i);
      expect(e.failures).toBe(i + 1);
      expect(e.backoffMs).toBeGreaterThanOrEqual(exp / 2);
      expect(e.backoffMs).toBeLessThanOrEqual(exp);
    });
    // One request per attempt: the failed ones, the first poll, and at most one under way.
    expect(t.counters().requests.ReceiveMessage!).toBeLessThanOrEqual(failures.length + 2);
    expect(t.counters().errors.network).toBeGreaterThanOrEqual(1);
    expect(t.counters().backoffMs).toBeGreaterThan(0);

    const second = await startEmbeddedSqs({ port });
    cleanups.push(() => second.stop());
    await until("t.state() === \"running\"", 5000, () => t.state() === "running");
    expect(events.some((e) => e.type === "link" && e.state === "ok")).toBe(true);
    const s = createTransport({ client, queueUrl: queueUrlOf(NET, "x"), handle: () => {} });
    s.send(own, "after");
    await s.stop(2000);
    await until("got.includes(\"after\")", 5000, () => got.includes("after"));
    expect(t.counters().backoffMs).toBe(0);
  }, 20_000);
});

describe("stop during an outage", () => {
  test("an input whose reply could not leave before the bound stays in its queue, and the stop says why", async () => {
    const l = await env();
    const own = await l.queue("bot-alpha");
    const out = await l.queue("bot-bravo");
    let t!: Transport;
    const handled: string[] = [];
    const made = transport(l, own, (b) => {
      handled.push(b);
      t.send(out, `reply-${b}`, "bot-bravo", 60_000);
    });
    t = made.t;
    t.start();
    const s = transport(l, await l.queue("bot-charlie"), () => {});
    s.t.send(own, "m1");
    await until("handled.length === 1", 5000, () => handled.length === 1);
    await l.sqs.pause();
    const report = await t.stop(800);
    await l.sqs.resume();
    expect(report).toMatchObject({ clean: false, inputsLeft: { send_lost: 1 } });
    expect(t.counters().messagesDeleted).toBe(0);
    // SQS still holds it for the next run (in flight until its visibility timeout ends).
    expect(await queueDepth(l.client, own)).toEqual({ visible: 0, inFlight: 1 });
  });
});

describe("embedded SQS and endpoints", () => {
  test("a taken port gives SqsPortInUseError naming the port and the way out", async () => {
    const l = await env();
    const err = await startEmbeddedSqs({ port: l.sqs.port }).catch((e) => e);
    expect(err).toBeInstanceOf(SqsPortInUseError);
    expect(err.message).toContain(String(l.sqs.port));
    expect(err.message).toContain("--sqs-port");
    expect(err.message).toContain("network.port");
  });

  test("it answers on loopback and not on the machine's other addresses", async () => {
    const l = await env();
    expect(l.sqs.endpoint).toBe(`http://127.0.0.1:${l.sqs.port}`);
    const reach = (host: string) =>
      fetch(`http://${host}:${l.sqs.port}/`, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      );
    expect(await reach("127.0.0.1")).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal)
      .map((a) => a!.address);
    for (const host of external) expect(await reach(host)).toBe(false);
  });

  test("AWS mode reaches a standalone SQS through AWS_ENDPOINT_URL_SQS with AWS-form queue URLs", async () => {
    const standalone = await startEmbeddedSqs({ port: 0 });
    cleanups.push(() => standalone.stop());
    const opts: SqsOptions = {
      mode: "aws",
      region: NET.region,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      env: { AWS_ENDPOINT_URL_SQS: standalone.endpoint, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
    };
    const client = createSqsClient(opts);
    cleanups.push(async () => client.destroy());
    // Not asked to create: a missing queue is a clear error.
    const missing = await ensureQueue(client, opts, NET, "bot-alpha").catch((e) => e);
    expect(missing).toBeInstanceOf(SqsQueueMissingError);
    expect(missing.message).toContain("--create-queues");
    expect(await ensureQueue(client, { ...opts, createQueues: true }, NET, "bot-alpha")).toBe("created");
    expect(await ensureQueue(client, opts, NET, "bot-alpha")).toBe("exists");
    const url = queueUrlOf(NET, "bot-alpha");
    expect(url).toBe("https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-bot-alpha-p2p");
    const got: string[] = [];
    const t = createTransport({ client, queueUrl: url, handle: (b) => void got.push(b), waitTimeSeconds: 1 });
    cleanups.push(() => t.stop(2000));
    t.start();
    t.send(url, "to myself");
    await until("got.length === 1", 5000, () => got.length === 1);
    expect(got).toEqual(["to myself"]);
  });

  test.each([
    ["explicit endpoint wins", { endpoint: "E", env: { AWS_ENDPOINT_URL_SQS: "S", AWS_ENDPOINT_URL: "G" } }, "E"],
    ["AWS_ENDPOINT_URL_SQS before AWS_ENDPOINT_URL", { env: { AWS_ENDPOINT_URL_SQS: "S", AWS_ENDPOINT_URL: "G" } }, "S"],
    ["AWS_ENDPOINT_URL alone", { env: { AWS_ENDPOINT_URL: "G" } }, "G"],
    ["none: Amazon's own", { env: {} }, undefined],
  ])("AWS endpoint: %s", async (_name, extra, want) => {
    const { resolveEndpoint } = await import("../../src/sqs/client.ts");
    expect(resolveEndpoint({ mode: "aws", ...extra })).toBe(want);
  });

  test("local mode ignores endpoint overrides and uses the embedded port", async () => {
    const { resolveEndpoint } = await import("../../src/sqs/client.ts");
    expect(resolveEndpoint({ mode: "local", port: 4567, env: { AWS_ENDPOINT_URL_SQS: "S" } })).toBe("http://127.0.0.1:4567");
  });

  test("rejected credentials surface as a SqsCredentialsError", async () => {
    // A server that answers every request the way SQS answers a bad key.
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(JSON.stringify({ __type: "com.amazon.coral.service#InvalidClientTokenId", message: "The security token included in the request is invalid." }), {
          status: 403,
          headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": "InvalidClientTokenId;Sender" },
        }),
    });
    cleanups.push(async () => server.stop(true));
    const opts: SqsOptions = {
      mode: "aws",
      endpoint: `http://127.0.0.1:${server.port}`,
      credentials: { accessKeyId: "AKIDBAD", secretAccessKey: "bad" },
      createQueues: true,
    };
    const client = createSqsClient(opts);
    cleanups.push(async () => client.destroy());
    const err = await ensureQueue(client, opts, NET, "bot-alpha").catch((e) => e);
    expect(err.name).toBe("SqsCredentialsError");
    expect(err.message).toContain("AWS_PROFILE");
  });
});
