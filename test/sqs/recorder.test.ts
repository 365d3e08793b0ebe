/**
 * The embedded SQS's recorder (src/sqs/embedded.ts) with the soak's record
 * (src/bench/ledger.ts), through the real SDK: what it accepted, per entry
 * of a batch, and what was deleted, on the server's side of the edge.
 */
import { describe, expect, test } from "bun:test";
import { DeleteMessageBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { createAcceptedRecord, NOT_PROTOCOL } from "../../src/bench/ledger.ts";
import { createSqsClient, ensureQueue, type SqsOptions } from "../../src/sqs/client.ts";
import { startEmbeddedSqs } from "../../src/sqs/embedded.ts";
import { queueUrlOf } from "../../src/protocol/index.ts";
import { NET } from "./helpers.ts";

const body = (type: string, sender: string, msgId: string, seq?: number) => JSON.stringify({ type, sender, msg_id: msgId, ...(seq === undefined ? {} : { seq }) });

describe("embedded SQS recorder", () => {
  test("accepted messages by queue and msg_id, a batch's refused entry left out, copies counted, deletes matched to their message", async () => {
    const record = createAcceptedRecord();
    const sqs = await startEmbeddedSqs({ port: 0 }, record);
    const opts: SqsOptions = { mode: "local", port: sqs.port, region: NET.region };
    const client = createSqsClient(opts, { requestTimeoutMs: 10_000 });
    try {
      await ensureQueue(client, opts, NET, "hugo");
      const url = queueUrlOf(NET, "hugo");
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body("PING", "sam", "a1", 7) }));
      const batch = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: "0", MessageBody: body("HELLO", "sam", "a2") },
            // Refused by SQS (a character outside what a message may hold): never accepted, so never "sent".
            { Id: "1", MessageBody: body("HELLO", "sam", "a3") + "\u0000" },
            // The same PING again, byte for byte (a replay): the same message, accepted twice.
            { Id: "2", MessageBody: body("PING", "sam", "a1", 7) },
            { Id: "3", MessageBody: "not json" },
          ],
        }),
      );
      expect(batch.Failed?.map((f) => f.Id)).toEqual(["1"]);
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      const handles = (got.Messages ?? []).map((m) => ({ body: m.Body ?? "", receipt: m.ReceiptHandle! }));
      expect(handles).toHaveLength(4);
      const hello = handles.find((h) => h.body.includes("HELLO"))!;
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: hello.receipt }));
      const pings = handles.filter((h) => h.body.includes("PING"));
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: pings.map((h, i) => ({ Id: String(i), ReceiptHandle: h.receipt })) }));

      const byId = new Map(record.messages().map((m) => [m.msgId, m]));
      expect(byId.get("a1")).toEqual({ queue: "ds2032-node-hugo-p2p", type: "PING", sender: "sam", msgId: "a1", seq: 7, accepted: 2, deleted: 2 });
      expect(byId.get("a2")).toMatchObject({ type: "HELLO", accepted: 1, deleted: 1 });
      expect(byId.has("a3")).toBe(false);
      expect(record.messages().filter((m) => m.type === NOT_PROTOCOL)).toHaveLength(1);
      expect(record.messages()).toHaveLength(3);
      expect([record.overflow(), record.deletesUnmatched()]).toEqual([0, 0]);
    } finally {
      client.destroy();
      await sqs.stop();
    }
  });

  test("past its bound the record counts what it could not keep", async () => {
    const record = createAcceptedRecord({ messagesMax: 2 });
    for (const id of ["a", "b", "c", "d"]) record.accepted("q", body("PING", "sam", id, 1));
    record.accepted("q", body("PING", "sam", "a", 1));
    expect(record.messages().map((m) => [m.msgId, m.accepted])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    expect(record.overflow()).toBe(2);
  });
});
