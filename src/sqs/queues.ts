import {
  SetQueueAttributesCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
} from "@aws-sdk/client-sqs";
import { queueName, type NetworkId } from "../protocol/index.ts";
import type { SqsClient } from "./client.ts";
import { classifySqsError, describeSqsError, SqsCredentialsError } from "./errors.ts";

/** Messages waiting in a queue (visible) and taken but not yet deleted (in flight), as SQS approximates them. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
}

export async function queueDepth(client: SqsClient, queueUrl: string): Promise<QueueDepth> {
  const r = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(r.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Sets how long a received message stays hidden before SQS hands it over again, s. */
export async function setVisibilityTimeout(client: SqsClient, queueUrl: string, seconds: number): Promise<void> {
  await client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: String(seconds) } }));
}

export interface ListedQueue {
  /** The queue's name, the last part of its URL. */
  name: string;
  /** The URL as the endpoint hands it out (on the embedded SQS, its own host, not the AWS form). */
  url: string;
}

/** Queues listed at most: a course network has tens; a bound keeps a shared account from flooding a listing. */
export const LISTED_QUEUES_MAX = 1000;
/** Per ListQueues page, the SQS maximum. */
const LIST_PAGE_MAX = 1000;

/**
 * The queues whose names start with `namePrefix` (such as `ds2032-node-`,
 * a network's queues), sorted by name, at most `LISTED_QUEUES_MAX`.
 */
export async function listQueues(client: SqsClient, namePrefix: string): Promise<ListedQueue[]> {
  const out: ListedQueue[] = [];
  let next: string | undefined;
  do {
    const r = await client.send(new ListQueuesCommand({ QueueNamePrefix: namePrefix, MaxResults: LIST_PAGE_MAX, NextToken: next }));
    for (const url of r.QueueUrls ?? []) {
      const name = url.slice(url.lastIndexOf("/") + 1);
      // Endpoints differ in how strictly they apply the prefix; the listing must not.
      if (name.startsWith(namePrefix) && out.length < LISTED_QUEUES_MAX) out.push({ name, url });
    }
    next = r.NextToken;
  } while (next && out.length < LISTED_QUEUES_MAX);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Deletes every message of a queue, visible and in flight. Amazon SQS allows
 * one purge per queue per 60 s and may take that long to finish; the
 * embedded SQS purges at once.
 */
export async function purgeQueue(client: SqsClient, queueUrl: string): Promise<void> {
  await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}

/** Whether a node's queue exists (a node nobody provisioned has none). */
export async function nodeQueueExists(client: SqsClient, net: NetworkId, nodeId: string): Promise<boolean> {
  try {
    await client.send(new GetQueueUrlCommand({ QueueName: queueName(net.prefix, nodeId), QueueOwnerAWSAccountId: net.account }));
    return true;
  } catch (err) {
    const kind = classifySqsError(err);
    if (kind === "queue_missing") return false;
    if (kind === "credentials") throw new SqsCredentialsError(describeSqsError(err));
    throw err;
  }
}

/**
 * Deletes a node's queue (the checker's probes leave none behind): true once
 * deleted, false if there was none (a queue already gone is no error).
 * `signal` bounds both requests.
 */
export async function deleteNodeQueue(client: SqsClient, net: NetworkId, nodeId: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName(net.prefix, nodeId), QueueOwnerAWSAccountId: net.account }), { abortSignal: signal });
    if (!QueueUrl) return false;
    await client.send(new DeleteQueueCommand({ QueueUrl }), { abortSignal: signal });
    return true;
  } catch (err) {
    if (classifySqsError(err) !== "queue_missing") throw err;
    return false;
  }
}
