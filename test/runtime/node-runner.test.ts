import { describe, expect, test } from "bun:test";
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { build, encode, queueUrlOf } from "../../src/protocol/index.ts";
import { createSqsClient } from "../../src/sqs/client.ts";
import { queueDepth } from "../../src/sqs/queues.ts";
import { startEmbeddedSqs } from "../../src/sqs/embedded.ts";
import type { NodeRunner } from "../../src/runtime/node-runner.ts";
import { drainBodies, NET, perTest } from "../sqs/helpers.ts";
import { until } from "../support/until.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIMITS } from "../../src/core/config.ts";
import { createSeenJournal } from "../../src/runtime/seen-journal.ts";
import { config, memoryLogger, runner } from "./helpers.ts";
import { createWireRecorder } from "../../src/runtime/wire-recorder.ts";
import type { WireRecord } from "../../src/runtime/wire-record.ts";

const { cleanups, env } = perTest();

function track(r: NodeRunner): NodeRunner {
  cleanups.push(() => r.stop(2000));
  return r;
}

function ping(sender: string, seq: number, msgId: string): string {
  return encode(build("PING", { sender, nowMs: Date.now(), msgId }, { seq }));
}

describe("node runner over the embedded SQS", () => {
  test("two nodes find each other and PING/PONG through SQS", async () => {
    const l = await env();
    const port = l.sqs.port;
    const b = track(runner(config("bot-bravo", port, []), port));
    const a = track(runner(config("hugo", port, ["bot-bravo"]), port));
    await b.start();
    await a.start();
    const rttOf = (r: NodeRunner, peer: string) => r.health().snapshot.peers.find((p) => p.id === peer)?.rttMs ?? null;
    await until("rttOf(a, \"bot-bravo\") !== null && rttOf(b, \"hugo\") !== null", 8000, () => rttOf(a, "bot-bravo") !== null && rttOf(b, "hugo") !== null);
    const ha = a.health();
    expect(ha.state).toBe("running");
    expect(ha.snapshot.counters.in.PONG).toBeGreaterThanOrEqual(1);
    expect(b.health().snapshot.counters.in.PING).toBeGreaterThanOrEqual(1);
    expect(ha.recentEvents.some((e) => e.event.type === "peer_added")).toBe(true);
    // Everything goes out in batches; nothing one by one.
    expect(ha.transport.requests.SendMessage).toBeUndefined();
    expect(ha.transport.requests.DeleteMessage).toBeUndefined();
    expect(ha.transport.messagesSent).toBe(
      Object.values(ha.snapshot.counters.out).reduce((x, y) => x + y, 0),
    );
  }, 15_000);

  test("each node records what it sends and receives: the two halves of a message pair up, a PING is in before its PONG is out", async () => {
    const l = await env();
    const port = l.sqs.port;
    const wb = createWireRecorder("bot-bravo", 10_000);
    const wa = createWireRecorder("hugo", 10_000);
    const b = track(runner(config("bot-bravo", port, []), port, { wire: wb }));
    const a = track(runner(config("hugo", port, ["bot-bravo"]), port, { wire: wa }));
    await b.start();
    await a.start();
    const records: WireRecord[] = [];
    const pongIn = () => {
      records.push(...wa.drain().records, ...wb.drain().records);
      return records.some((r) => r.observer === "hugo" && r.dir === "in" && r.type === "PONG");
    };
    await until("hugo to record a PONG received", 8000, pongIn);
    await a.stop(2000);
    await b.stop(2000);
    records.push(...wa.drain().records, ...wb.drain().records);
    const key = (r: WireRecord) => `${r.from}|${r.msgId}|${r.to}`;
    const outs = new Map(records.filter((r) => r.dir === "out").map((r) => [key(r), r]));
    const ins = records.filter((r) => r.dir === "in");
    expect(ins.length).toBeGreaterThan(1);
    // every receipt has its send on the other side, with the same type and size (sends still in flight at stop may lack theirs)
    for (const i of ins) expect([key(i), outs.get(key(i))?.type, outs.get(key(i))?.size]).toEqual([key(i), i.type, i.size]);
    const atBravo = records.filter((r) => r.observer === "bot-bravo");
    const pingIn = atBravo.findIndex((r) => r.dir === "in" && r.type === "PING");
    const pongOut = atBravo.findIndex((r) => r.dir === "out" && r.type === "PONG");
    expect(pingIn).toBeGreaterThanOrEqual(0);
    expect(pingIn).toBeLessThan(pongOut);
    expect(atBravo[pingIn]!.body).toContain('"type":"PING"');
  }, 15_000);

  test.each([
    ["at once by default", 0, true],
    ["riding with the next tick's batch when held", 1000, false],
  ])("PONGs leave %s", async (_name, pongHoldMs, pongAlone) => {
    const l = await env();
    const port = l.sqs.port;
    // What each of bravo's SendMessageBatch requests carried, by message type.
    const batches: string[][] = [];
    const client = createSqsClient(l.opts);
    cleanups.push(async () => client.destroy());
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === "SendMessageBatchCommand") {
          const input = args.input as { Entries?: Array<{ MessageBody?: string }> };
          batches.push((input.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? "{}").type));
        }
        return next(args);
      },
      { step: "initialize", name: "recordBatches" },
    );
    const b = track(runner(config("bot-bravo", port, []), port, { client, pongHoldMs }));
    const a = track(runner(config("hugo", port, ["bot-bravo"]), port));
    await b.start();
    await a.start();
    await until("(b.health().snapshot.counters.out.PONG ?? 0) >= 4", 8000, () => (b.health().snapshot.counters.out.PONG ?? 0) >= 4);
    await until("a.health().snapshot.counters.in.PONG >= 3", 8000, () => a.health().snapshot.counters.in.PONG >= 3);
    const withPong = batches.filter((types) => types.includes("PONG"));
    expect(withPong.some((types) => types.every((t) => t === "PONG"))).toBe(pongAlone);
    // Held or not, hugo hears bravo's PONGs and keeps it alive.
    const seen = a.health().snapshot.peers.find((p) => p.id === "bot-bravo");
    expect(seen?.status).toBe("alive");
    expect(seen?.rttMs).not.toBeNull();
  }, 20_000);

  test("across a restart: a message whose reply went out but whose delete was lost is not answered again", async () => {
    const l = await env();
    const port = l.sqs.port;
    const journalPath = join(mkdtempSync(join(tmpdir(), "seen-")), "bot-bravo.seen");
    const journal = () => createSeenJournal({ path: journalPath, windowMs: LIMITS.dedupeWindowMs, perTableMax: LIMITS.dedupeMax });
    // The first run's deletes never reach SQS, as when a node dies right after its replies went out.
    const dropping = createSqsClient(l.opts);
    cleanups.push(async () => dropping.destroy());
    dropping.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === "DeleteMessageBatchCommand") throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });
        return next(args);
      },
      { step: "initialize", name: "dropDeletes" },
    );
    const zedQueue = await l.queue("zed");
    const transport = { visibilityTimeoutSeconds: 1, deleteAttemptsMax: 1, backoff: { baseMs: 50, maxMs: 100 } };
    const first = runner(config("bot-bravo", port, []), port, { client: dropping, transport, seenJournal: journal() });
    await first.start();
    await l.client.send(new SendMessageCommand({ QueueUrl: first.queueUrl, MessageBody: ping("zed", 7, "restart1") }));
    await until("the first run's PONG accepted", 6000, () => (first.health().snapshot.counters.out.PONG ?? 0) === 1 && first.health().transport.messagesSent >= 1);
    await first.stop(1000);
    expect(first.health().transport.messagesDeleted).toBe(0);

    // The next run is handed the PING again and knows it.
    const second = track(runner(config("bot-bravo", port, []), port, { transport, seenJournal: journal() }));
    await second.start();
    await until("second.health().transport.messagesDeleted >= 1", 6000, () => second.health().transport.messagesDeleted >= 1);
    const h = second.health();
    expect([h.snapshot.counters.duplicates, h.snapshot.counters.out.PONG ?? 0]).toEqual([1, 0]);
    const pongs = (await drainBodies(l.client, zedQueue)).map((x) => JSON.parse(x)).filter((m) => m.type === "PONG");
    expect(pongs).toHaveLength(1);
  }, 20_000);

  test("a redelivered message (its delete lost) is handled once", async () => {
    const l = await env();
    const port = l.sqs.port;
    const client = createSqsClient(l.opts);
    cleanups.push(async () => client.destroy());
    // Deletes fail until released, as when the network drops them: SQS then redelivers.
    let deletesFail = true;
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (deletesFail && ctx.commandName === "DeleteMessageBatchCommand") {
          throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });
        }
        return next(args);
      },
      { step: "initialize", name: "dropDeletes" },
    );
    const zedQueue = await l.queue("zed");
    const b = track(
      runner(config("bot-bravo", port, []), port, {
        client,
        transport: { visibilityTimeoutSeconds: 1, backoff: { baseMs: 50, maxMs: 100 } },
      }),
    );
    await b.start();
    await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", 7, "feedbeef") }));
    await until("b.health().snapshot.counters.duplicates >= 1", 6000, () => b.health().snapshot.counters.duplicates >= 1);
    deletesFail = false;
    await until("b.health().transport.messagesDeleted >= 1", 6000, () => b.health().transport.messagesDeleted >= 1);
    const h = b.health();
    expect(h.transport.messagesReceived).toBeGreaterThanOrEqual(2);
    // Received more than once, handled once: the rest were repeats.
    expect(h.snapshot.counters.in.PING).toBe(1);
    expect(h.snapshot.counters.in.PING + h.snapshot.counters.duplicates).toBe(h.transport.messagesReceived);
    expect(h.snapshot.counters.out.PONG).toBe(1);
    const pongs = (await drainBodies(l.client, zedQueue)).map((x) => JSON.parse(x));
    expect(pongs.filter((m) => m.type === "PONG")).toHaveLength(1);
    expect(pongs[0]).toMatchObject({ type: "PONG", sender: "bot-bravo", seq: 7 });
  }, 15_000);

  test("a malformed body is deleted and counted, logged once per reason, and the next message is handled", async () => {
    const l = await env();
    const port = l.sqs.port;
    const zedQueue = await l.queue("zed");
    const { logger, lines } = memoryLogger();
    const b = track(runner(config("bot-bravo", port, []), port, { logger }));
    await b.start();
    for (const body of ["not json {", "[1,2]", "also not json"]) {
      await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: body }));
    }
    await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", 1, "0badf00d") }));
    await until("b.health().transport.messagesDeleted === 4", 6000, () => b.health().transport.messagesDeleted === 4);
    const h = b.health();
    expect(h.snapshot.counters.rejected).toEqual({ not_json: 2, not_object: 1 });
    expect(h.snapshot.counters.in.PING).toBe(1);
    expect(await queueDepth(l.client, b.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    await until("b.health().transport.messagesSent >= 1", 5000, () => b.health().transport.messagesSent >= 1);
    const replies = (await drainBodies(l.client, zedQueue)).map((x) => JSON.parse(x));
    expect(replies).toContainEqual(expect.objectContaining({ type: "PONG", seq: 1 }));
    const rejectedLogs = lines.filter((x) => x.msg === "message rejected");
    expect(rejectedLogs.map((x) => x.reason).sort()).toEqual(["not_json", "not_object"]);
  }, 15_000);

  test("survives the SQS endpoint going away: degraded, bounded retries, recovers and recreates its queue", async () => {
    const first = await startEmbeddedSqs({ port: 0 });
    const port = first.port;
    const b = track(runner(config("bot-bravo", port, []), port));
    await b.start();
    expect(b.health().state).toBe("running");
    await first.stop();
    await until("b.health().state === \"degraded\"", 4000, () => b.health().state === "degraded");
    const before = b.health().transport.requests.ReceiveMessage ?? 0;
    await Bun.sleep(2500);
    const during = (b.health().transport.requests.ReceiveMessage ?? 0) - before;
    expect(during).toBeLessThanOrEqual(12);

    const second = await startEmbeddedSqs({ port });
    cleanups.push(() => second.stop());
    // The restarted SQS is empty: the node recreates its own queue (local mode) and carries on.
    await until("b.health().state === \"running\"", 8000, () => b.health().state === "running");
    const client = createSqsClient({ mode: "local", port, region: NET.region });
    cleanups.push(async () => client.destroy());
    await client.send(new CreateQueueCommand({ QueueName: "ds2032-node-zed-p2p" }));
    await client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", 3, "cafe0003") }));
    await until("b.health().snapshot.counters.in.PING === 1", 5000, () => b.health().snapshot.counters.in.PING === 1);
  }, 25_000);

  test("stop is bounded and leaves nothing half done", async () => {
    const l = await env();
    const port = l.sqs.port;
    await l.queue("zed");
    const b = runner(config("bot-bravo", port, []), port, { waitTimeSeconds: 20 });
    await b.start();
    for (let i = 0; i < 30; i++) {
      await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", i, `0000${String(i).padStart(4, "0")}`) }));
    }
    await until("b.health().transport.messagesReceived > 0", 5000, () => b.health().transport.messagesReceived > 0);
    await b.stop(3000);
    const h = b.health();
    expect(h.state).toBe("stopped");
    const handled = h.snapshot.counters.in.PING;
    expect(h.transport.messagesDeleted).toBe(handled);
    const depth = await queueDepth(l.client, b.queueUrl);
    expect(depth.visible + depth.inFlight).toBe(30 - handled);
    // Every PONG the node decided on went out before stop returned.
    const toZed = (await drainBodies(l.client, queueUrlOf(NET, "zed"))).map((x) => JSON.parse(x));
    expect(toZed.filter((m) => m.type === "PONG")).toHaveLength(h.snapshot.counters.out.PONG);
    expect(toZed).toHaveLength(h.transport.messagesSent);
    expect(h.snapshot.counters.out.PONG).toBe(handled);
  }, 15_000);

  test("a notebook-style client uses its own AWS queue URLs against the embedded endpoint", async () => {
    const l = await env();
    const port = l.sqs.port;
    const alpha = track(runner(config("bot-alpha", port, [], "bot-alpha"), port));
    await alpha.start();
    // What boto3 does with endpoint_url: every request to the endpoint, QueueUrl passed as is.
    const nb = new SQSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    cleanups.push(async () => nb.destroy());
    const MY_QUEUE = "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-hugo-p2p";
    const BOT = "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-bot-alpha-p2p";
    await nb.send(new CreateQueueCommand({ QueueName: "ds2032-node-hugo-p2p" }));
    const hello = {
      type: "HELLO",
      sender: "hugo",
      timestamp: "2026-11-24T14:03:08.124512+00:00",
      msg_id: "1a2b3c4d",
      queue_url: MY_QUEUE,
    };
    await nb.send(new SendMessageCommand({ QueueUrl: BOT, MessageBody: JSON.stringify(hello) }));
    let got: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 5 && !got.some((m) => m.type === "PEER_LIST"); i++) {
      const r = await nb.send(new ReceiveMessageCommand({ QueueUrl: MY_QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 3 }));
      got = got.concat((r.Messages ?? []).map((m) => JSON.parse(m.Body ?? "{}")));
    }
    const list = got.find((m) => m.type === "PEER_LIST");
    expect(list).toMatchObject({ sender: "bot-alpha" });
    expect((list!.peers as Array<{ node_id: string; queue_url: string }>)[0]).toEqual({
      node_id: "bot-alpha",
      queue_url: BOT,
    });
    expect(alpha.health().snapshot.peers.map((p) => p.id)).toContain("hugo");
  }, 25_000);
});
