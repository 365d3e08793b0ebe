import { describe, expect, test } from "bun:test";
import { queueName, queueUrlOf } from "../../src/protocol/index.ts";
import { inspectEmbeddedQueue } from "../../src/sqs/embedded.ts";
import { peekMessages, sendMessage, sendMessages, takeMessages } from "../../src/sqs/messages.ts";
import { listQueues, purgeQueue, queueDepth } from "../../src/sqs/queues.ts";
import { NET, perTest } from "./helpers.ts";

const { env } = perTest();

describe("one-off queue operations on the embedded SQS", () => {
  test("sendMessage puts one body in the queue, and queueDepth counts it visible", async () => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    expect(await queueDepth(l.client, url)).toEqual({ visible: 0, inFlight: 0 });
    await sendMessage(l.client, url, "one");
    expect(await queueDepth(l.client, url)).toEqual({ visible: 1, inFlight: 0 });
  });

  test.each([1, 10, 23])("sendMessages accepts all %d bodies, in batches of ten", async (n) => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    const bodies = Array.from({ length: n }, (_, i) => `m${i}`);
    expect(await sendMessages(l.client, url, bodies)).toBe(n);
    expect((await queueDepth(l.client, url)).visible).toBe(n);
  });

  test("peekMessages leaves every message visible; takeMessages removes what it returns", async () => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    await sendMessages(l.client, url, ["a", "b", "c"]);
    const peeked = await peekMessages(l.client, url, { messagesMax: 50, roundsMax: 5, firstWaitSeconds: 0 });
    expect(peeked.sort()).toEqual(["a", "b", "c"]);
    // Nothing was deleted, and a second look sees the same: the node will still get every one. (The embedded
    // SQS counts a message received with VisibilityTimeout 0 in flight until its next receive; hence the sum.)
    const depth = await queueDepth(l.client, url);
    expect(depth.visible + depth.inFlight).toBe(3);
    expect((await peekMessages(l.client, url, { messagesMax: 50, roundsMax: 5, firstWaitSeconds: 0 })).sort()).toEqual(["a", "b", "c"]);
    const taken = await takeMessages(l.client, url, 0);
    expect(taken.bodies.sort()).toEqual(["a", "b", "c"]);
    expect(taken.deleted).toBe(3);
    expect(await queueDepth(l.client, url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await takeMessages(l.client, url, 0)).toEqual({ bodies: [], deleted: 0 });
  });

  test("peekMessages stops at messagesMax", async () => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    await sendMessages(l.client, url, Array.from({ length: 15 }, (_, i) => `m${i}`));
    expect(await peekMessages(l.client, url, { messagesMax: 4, roundsMax: 5, firstWaitSeconds: 0 })).toHaveLength(4);
  });

  test("queueDepth counts a received, undeleted message in flight", async () => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    await sendMessage(l.client, url, "x");
    const { ReceiveMessageCommand } = await import("@aws-sdk/client-sqs");
    await l.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 60 }));
    expect(await queueDepth(l.client, url)).toEqual({ visible: 0, inFlight: 1 });
  });

  test("listQueues returns the network's queues by prefix, sorted, and none of another network's", async () => {
    const l = await env();
    for (const id of ["bot-charlie", "bot-alpha", "hugo"]) await l.queue(id);
    const other = { ...NET, prefix: "other" };
    const { ensureQueue } = await import("../../src/sqs/client.ts");
    await ensureQueue(l.client, l.opts, other, "bot-alpha");
    const listed = await listQueues(l.client, `${NET.prefix}-node-`);
    expect(listed.map((q) => q.name)).toEqual(["bot-alpha", "bot-charlie", "hugo"].map((id) => queueName(NET.prefix, id)));
    // The URL is the endpoint's own and reaches the queue.
    await sendMessage(l.client, listed[0]!.url, "via listed url");
    expect((await queueDepth(l.client, queueUrlOf(NET, "bot-alpha"))).visible).toBe(1);
    expect(await listQueues(l.client, "nobody-")).toEqual([]);
  });

  test("purgeQueue empties one queue, visible and in flight, and leaves the others", async () => {
    const l = await env();
    const a = await l.queue("bot-alpha");
    const b = await l.queue("bot-bravo");
    await sendMessages(l.client, a, ["1", "2", "3"]);
    await sendMessage(l.client, b, "kept");
    const { ReceiveMessageCommand } = await import("@aws-sdk/client-sqs");
    await l.client.send(new ReceiveMessageCommand({ QueueUrl: a, VisibilityTimeout: 60, MaxNumberOfMessages: 1 }));
    expect(await queueDepth(l.client, a)).toEqual({ visible: 2, inFlight: 1 });
    await purgeQueue(l.client, a);
    expect(await queueDepth(l.client, a)).toEqual({ visible: 0, inFlight: 0 });
    expect(await queueDepth(l.client, b)).toEqual({ visible: 1, inFlight: 0 });
  });

  test("inspectEmbeddedQueue shows ready and in-flight bodies without taking them; null for no queue", async () => {
    const l = await env();
    const url = await l.queue("bot-alpha");
    await sendMessages(l.client, url, ["r1", "f1"]);
    const { ReceiveMessageCommand } = await import("@aws-sdk/client-sqs");
    await l.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 60, MaxNumberOfMessages: 1 }));
    const found = await inspectEmbeddedQueue(l.sqs.endpoint, queueName(NET.prefix, "bot-alpha"));
    expect(found?.map((m) => m.where).sort()).toEqual(["inflight", "ready"]);
    expect(found?.map((m) => m.body).sort()).toEqual(["f1", "r1"]);
    expect(await queueDepth(l.client, url)).toEqual({ visible: 1, inFlight: 1 });
    expect(await inspectEmbeddedQueue(l.sqs.endpoint, queueName(NET.prefix, "nobody"))).toBeNull();
  });
});
