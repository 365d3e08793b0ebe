import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import { queueName, queueUrlOf, type NetworkId } from "../protocol/index.ts";
import { DEFAULT_NETWORK, DEFAULT_SQS_PORT } from "../core/settings.ts";
import { DEFAULT_SQS_HOST } from "./embedded.ts";
import { classifySqsError, describeSqsError, SqsCredentialsError } from "./errors.ts";
import { gateClient } from "./socket-gate.ts";

/** How a node reaches SQS. */
export interface SqsOptions {
  /** `local`: the embedded SQS on this machine (default). `aws`: Amazon SQS or any SQS-compatible endpoint. */
  mode: "local" | "aws";
  /** Default network.region's (core/settings.ts). */
  region?: string;
  /** Local mode: the embedded SQS's port (default network.port's) and host (default loopback). */
  port?: number;
  host?: string;
  /**
   * AWS mode: an explicit endpoint (`network.endpoint` in fleet.yaml). When
   * unset, `AWS_ENDPOINT_URL_SQS` then `AWS_ENDPOINT_URL` from `env` are used,
   * as LocalStack and ElasticMQ users expect; else Amazon's own endpoint.
   */
  endpoint?: string;
  /** AWS mode: explicit credentials; else the standard chain (environment, shared profiles, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** AWS mode: create a missing queue (`--create-queues`). Local mode always creates. */
  createQueues?: boolean;
  /** Where endpoint overrides are read from; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** The endpoint the client sends to, or undefined for Amazon's own. */
export function resolveEndpoint(opts: SqsOptions): string | undefined {
  if (opts.mode === "local") return `http://${opts.host ?? DEFAULT_SQS_HOST}:${opts.port ?? DEFAULT_SQS_PORT}`;
  const env = opts.env ?? process.env;
  return opts.endpoint || env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * The handle the layers above pass around: made by createSqsClient, given
 * back to the functions of this folder, closed with closeSqsClient. Nothing
 * outside src/sqs calls the SDK through it.
 */
export type SqsClient = SQSClient;

/** Closes the client's sockets. */
export function closeSqsClient(client: SqsClient): void {
  client.destroy();
}

/** Credentials the embedded SQS accepts: it checks none. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface ClientTuning {
  /** Longest a request may take, ms, after which it fails as a network error (retried); must exceed the long poll. Default 30 000. */
  requestTimeoutMs?: number;
  /** Sockets kept open to the endpoint, and requests let through to them at once (socket-gate.ts). Default 16. */
  socketsMax?: number;
  /** Longest a request may take to get connected once it has its socket, ms. Default 5 000. */
  connectTimeoutMs?: number;
}

/**
 * The one SQSClient factory. Queue URLs stay in the AWS form in both modes
 * (docs/protocol.md §4); `useQueueUrlAsEndpoint: false` keeps the SDK sending to
 * the endpoint instead of to the URL's own host. Retries are ours
 * (`maxAttempts: 1`) so that every request is counted and backoff is bounded
 * in one place.
 */
export function createSqsClient(opts: SqsOptions, tuning: ClientTuning = {}): SQSClient {
  const endpoint = resolveEndpoint(opts);
  const socketsMax = tuning.socketsMax ?? 16;
  const config: SQSClientConfig = {
    region: opts.region ?? DEFAULT_NETWORK.region,
    useQueueUrlAsEndpoint: false,
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: tuning.requestTimeoutMs ?? 30_000,
      // Without it the SDK only prints a warning past requestTimeout and lets the request hang on: on an
      // endpoint that stops answering (moto swamped on a loaded machine), a poll or a send then waits for ever.
      throwOnRequestTimeout: true,
      connectionTimeout: tuning.connectTimeoutMs ?? 5_000,
      httpAgent: { keepAlive: true, maxSockets: socketsMax },
      httpsAgent: { keepAlive: true, maxSockets: socketsMax },
    },
  };
  if (endpoint) config.endpoint = endpoint;
  if (opts.mode === "local") config.credentials = LOCAL_CREDENTIALS;
  else if (opts.credentials) config.credentials = opts.credentials;
  const client = new SQSClient(config);
  gateClient(client, socketsMax);
  return client;
}

export type EnsureQueueResult = "created" | "exists";

/** The queue's node is not there and we were not asked to create it. */
export class SqsQueueMissingError extends Error {
  override readonly name = "SqsQueueMissingError";
  constructor(readonly queue: string) {
    super(`Queue ${queue} does not exist. Create it, or run with --create-queues to let the fleet create it.`);
  }
}

/**
 * Makes sure a node's queue exists. Local mode always creates it; AWS mode
 * creates it only with `createQueues`, else checks that it is there.
 * Credentials problems become an SqsCredentialsError; other failures are
 * thrown as they are, for the caller to retry.
 */
export async function ensureQueue(
  client: SQSClient,
  opts: SqsOptions,
  net: NetworkId,
  nodeId: string,
  signal?: AbortSignal,
): Promise<EnsureQueueResult> {
  const name = queueName(net.prefix, nodeId);
  try {
    if (opts.mode === "local" || opts.createQueues) {
      await client.send(new CreateQueueCommand({ QueueName: name }), { abortSignal: signal });
      return "created";
    }
    await client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: net.account }), {
      abortSignal: signal,
    });
    return "exists";
  } catch (err) {
    const kind = classifySqsError(err);
    if (kind === "credentials") throw new SqsCredentialsError(describeSqsError(err));
    if (kind === "queue_missing") throw new SqsQueueMissingError(name);
    throw err;
  }
}

export { queueUrlOf };
