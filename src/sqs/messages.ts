import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SqsClient } from "./client.ts";

/**
 * Single requests for the tools around the nodes (the command line, the
 * soak driver): a node itself goes through its transport, which batches,
 * retries and counts.
 */

/** Entries per SendMessageBatch and per ReceiveMessage, the SQS maximum. */
const SQS_BATCH_MAX = 10;

/** Sends one message; throws what SQS answered. */
export async function sendMessage(client: SqsClient, queueUrl: string, body: string): Promise<void> {
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

/** Sends the bodies in batches of ten; returns how many SQS accepted. */
export async function sendMessages(client: SqsClient, queueUrl: string, bodies: readonly string[]): Promise<number> {
  return (await sendMessagesAccepted(client, queueUrl, bodies)).length;
}

/** Sends the bodies in batches of ten; returns the indices of those SQS accepted. */
export async function sendMessagesAccepted(client: SqsClient, queueUrl: string, bodies: readonly string[]): Promise<number[]> {
  const accepted: number[] = [];
  for (let i = 0; i < bodies.length; i += SQS_BATCH_MAX) {
    const entries = bodies.slice(i, i + SQS_BATCH_MAX).map((MessageBody, j) => ({ Id: String(i + j), MessageBody }));
    const r = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    for (const ok of r.Successful ?? []) accepted.push(Number(ok.Id));
  }
  return accepted;
}

export interface Received {
  body: string;
  /** What deleteMessage needs. */
  receiptHandle: string;
}

/** One ReceiveMessage of up to ten messages, long-polling up to `waitTimeSeconds`; nothing is deleted. */
export async function receiveMessages(
  client: SqsClient,
  queueUrl: string,
  waitTimeSeconds: number,
  signal?: AbortSignal,
): Promise<Received[]> {
  const r = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: SQS_BATCH_MAX, WaitTimeSeconds: waitTimeSeconds }),
    { abortSignal: signal },
  );
  return (r.Messages ?? []).map((m) => ({ body: m.Body ?? "", receiptHandle: m.ReceiptHandle ?? "" }));
}

/** Deletes one received message; throws what SQS answered. */
export async function deleteMessage(client: SqsClient, queueUrl: string, receiptHandle: string): Promise<void> {
  await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
}

/** Deletes received messages in one DeleteMessageBatch (ten at most); returns how many SQS confirmed. */
export async function deleteMessages(client: SqsClient, queueUrl: string, receiptHandles: readonly string[]): Promise<number> {
  if (receiptHandles.length === 0) return 0;
  const d = await client.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: receiptHandles.slice(0, SQS_BATCH_MAX).map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })) }),
  );
  return d.Successful?.length ?? 0;
}

export interface Taken {
  bodies: string[];
  /** How many of them SQS confirmed deleted. */
  deleted: number;
}

/** Receives up to ten messages (long-polling up to `waitTimeSeconds`) and deletes them. */
export async function takeMessages(client: SqsClient, queueUrl: string, waitTimeSeconds: number): Promise<Taken> {
  const r = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: SQS_BATCH_MAX, WaitTimeSeconds: waitTimeSeconds }));
  const got = r.Messages ?? [];
  if (got.length === 0) return { bodies: [], deleted: 0 };
  const d = await client.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
  );
  return { bodies: got.map((m) => m.Body ?? ""), deleted: d.Successful?.length ?? 0 };
}

export interface PeekOptions {
  /** Messages returned at most. */
  messagesMax: number;
  /** ReceiveMessage rounds at most, each up to ten messages. */
  roundsMax: number;
  /** Long-poll wait of the first round, s; later rounds do not wait. Default 1. */
  firstWaitSeconds?: number;
}

/**
 * A sample of what waits in a queue, without taking it: received with
 * VisibilityTimeout 0, so every message stays visible to its node, and
 * never deleted. SQS gives no full listing; rounds stop at the first empty one.
 */
export async function peekMessages(client: SqsClient, queueUrl: string, o: PeekOptions): Promise<string[]> {
  const seen = new Map<string, string>();
  for (let round = 0; round < o.roundsMax && seen.size < o.messagesMax; round++) {
    const r = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: SQS_BATCH_MAX,
        VisibilityTimeout: 0,
        WaitTimeSeconds: round === 0 ? (o.firstWaitSeconds ?? 1) : 0,
      }),
    );
    const got = r.Messages ?? [];
    for (const m of got) if (m.MessageId && m.Body !== undefined) seen.set(m.MessageId, m.Body);
    if (got.length === 0) break;
  }
  return [...seen.values()].slice(0, o.messagesMax);
}
