import { afterEach } from "bun:test";
import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createSqsClient, ensureQueue, type SqsOptions } from "../../src/sqs/client.ts";
import { startEmbeddedSqs, type EmbeddedSqs } from "../../src/sqs/embedded.ts";
import { queueUrlOf } from "../../src/protocol/index.ts";
import { NET } from "../support/network.ts";
import { MOTO_CREDENTIALS, type Moto } from "../support/moto.ts";

export { NET } from "../support/network.ts";

/** An SQS to test the edge against: the embedded one, or another implementation (moto). */
export interface SqsEnv {
  /** Which implementation, for test names. */
  name: string;
  opts: SqsOptions;
  client: SQSClient;
  /** Creates the node's queue and returns its AWS-form URL. */
  queue(nodeId: string): Promise<string>;
  close(): Promise<void>;
}

export interface Local extends SqsEnv {
  sqs: EmbeddedSqs;
}

/** The parts every SQS env shares: a client on `opts`, queues made through the edge. */
function envOf(name: string, opts: SqsOptions, requestTimeoutMs: number, forget: () => Promise<void>): SqsEnv {
  const client = createSqsClient(opts, { requestTimeoutMs });
  return {
    name,
    opts,
    client,
    async queue(nodeId) {
      await ensureQueue(client, opts, NET, nodeId);
      return queueUrlOf(NET, nodeId);
    },
    async close() {
      client.destroy();
      await forget();
    },
  };
}

export async function local(port = 0): Promise<Local> {
  const sqs = await startEmbeddedSqs({ port });
  const opts: SqsOptions = { mode: "local", port: sqs.port, region: NET.region };
  return { ...envOf("embedded SQS", opts, 10_000, () => sqs.stop()), sqs };
}

/**
 * AWS mode against a running moto server, with the notebook's AWS-form queue
 * URLs; `close()` forgets every queue, so each test starts on an empty SQS.
 */
export function onMoto(moto: Moto): SqsEnv {
  const opts: SqsOptions = {
    mode: "aws",
    env: { AWS_ENDPOINT_URL_SQS: moto.endpoint },
    region: NET.region,
    credentials: MOTO_CREDENTIALS,
    createQueues: true,
  };
  return envOf("moto", opts, 30_000, () => moto.reset());
}

/**
 * Teardown after each test of the calling file: what is pushed on `cleanups`
 * runs last first, its failures ignored; `env()` is a fresh embedded SQS
 * that goes the same way, and `envOn(make)` one of another kind.
 */
export function perTest(): {
  cleanups: Array<() => Promise<unknown>>;
  env: () => Promise<Local>;
  envOn: (make: () => Promise<SqsEnv> | SqsEnv) => Promise<SqsEnv>;
} {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
  });
  return {
    cleanups,
    async env() {
      const l = await local();
      cleanups.push(() => l.close());
      return l;
    },
    async envOn(make) {
      const e = await make();
      cleanups.push(() => e.close());
      return e;
    },
  };
}

/** Reads every visible message body off a queue without deleting (they turn invisible). */
export async function drainBodies(client: SQSClient, queueUrl: string, waitTimeSeconds = 0): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const r = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitTimeSeconds, VisibilityTimeout: 60 }),
    );
    const got = r.Messages ?? [];
    if (!got.length) break;
    out.push(...got.map((m) => m.Body ?? ""));
  }
  return out;
}


/**
 * From now on, when each `commandName` request of `client` started and ended
 * (performance.now(), ms; `endMs` null while it is under way, failures included).
 */
export function requestTimes(client: SQSClient, commandName: string): Array<{ startMs: number; endMs: number | null }> {
  const times: Array<{ startMs: number; endMs: number | null }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      const t = { startMs: performance.now(), endMs: null as number | null };
      times.push(t);
      try {
        return await next(args);
      } finally {
        t.endMs = performance.now();
      }
    },
    { step: "initialize", name: `testRequestTimes${commandName}` },
  );
  return times;
}
