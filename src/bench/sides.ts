import pino from "pino";
import { defaultNodeConfig } from "../core/config.ts";
import type { NodeConfig, Persona } from "../core/types.ts";
import { queueUrlOf, type NetworkId } from "../protocol/index.ts";
import { createNodeRunner, type NodeRunner } from "../runtime/node-runner.ts";
import type { TransportCounters } from "../sqs/counters.ts";
import { createNotebookTransport, NOTEBOOK_WAIT_TIME_SECONDS } from "./baseline.ts";
import { COURSE_NETWORK } from "./course.ts";
import { createSqsClient, ensureQueue, type SqsOptions } from "../sqs/client.ts";
import type { EmbeddedSqs } from "../sqs/embedded.ts";
import { createTransport, type Transport, type TransportOptions } from "../sqs/transport.ts";

export type Side = "ours" | "notebook";

export interface BenchEnv {
  sqs: EmbeddedSqs;
  opts: SqsOptions;
  net: NetworkId;
}

export function envOf(sqs: EmbeddedSqs): BenchEnv {
  return {
    sqs,
    opts: { mode: "local", port: sqs.port, region: COURSE_NETWORK.region },
    // Its own prefix: the benchmark's queues never mix with a fleet's on the same SQS.
    net: { region: COURSE_NETWORK.region, account: COURSE_NETWORK.account, prefix: "bench", localPort: sqs.port },
  };
}

/** Long-poll wait each side uses: ours the SQS maximum, the notebook's 3 s. */
export function waitOf(side: Side): number {
  return side === "ours" ? 20 : NOTEBOOK_WAIT_TIME_SECONDS;
}

export async function queueFor(env: BenchEnv, nodeId: string): Promise<string> {
  const client = createSqsClient(env.opts);
  try {
    await ensureQueue(client, env.opts, env.net, nodeId);
  } finally {
    client.destroy();
  }
  return queueUrlOf(env.net, nodeId);
}

export interface BenchTransport {
  t: Transport;
  close(): Promise<void>;
}

/** One side's transport on its own client, started. */
export function transportFor(
  env: BenchEnv,
  side: Side,
  queueUrl: string,
  handle: (body: string) => void,
): BenchTransport {
  const client = createSqsClient(env.opts, { requestTimeoutMs: 40_000 });
  const opts: TransportOptions = { client, queueUrl, handle, waitTimeSeconds: waitOf(side) };
  const t = side === "ours" ? createTransport(opts) : createNotebookTransport(opts);
  t.start();
  return {
    t,
    async close() {
      await t.stop(3000);
      client.destroy();
    },
  };
}

export function requestsOf(c: TransportCounters): number {
  return Object.values(c.requests).reduce((a, b) => a + b, 0);
}

const silent = pino({ level: "silent" });

export function botConfig(env: BenchEnv, id: string, persona: Persona, bootstrap: string[]): NodeConfig {
  return defaultNodeConfig(id, persona, { network: env.net, bootstrap, seed: "bench" });
}

/** A full node on one side's transport, at default timing. */
export function runnerFor(env: BenchEnv, side: Side, config: NodeConfig): NodeRunner {
  return createNodeRunner({
    config,
    sqs: env.opts,
    logger: silent,
    waitTimeSeconds: waitOf(side),
    seed: `bench:${side}:${config.id}`,
    ...(side === "notebook" ? { createTransport: createNotebookTransport } : {}),
  });
}
