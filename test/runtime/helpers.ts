import pino, { type Logger } from "pino";
import { Writable } from "node:stream";
import { defaultNodeConfig } from "../../src/core/config.ts";
import type { NodeConfig, Persona, TimingMs } from "../../src/core/types.ts";
import { createNodeRunner, type NodeRunner, type NodeRunnerOptions } from "../../src/runtime/node-runner.ts";
import type { SqsOptions } from "../../src/sqs/client.ts";
import { FAST_TIMING_MS, NET } from "../support/network.ts";

/** Timing fast enough for a test to see a few heartbeats in a second or two. */
export const FAST: Partial<TimingMs> = FAST_TIMING_MS;

export function config(id: string, port: number, bootstrap: string[], persona: Persona = "node", timing = FAST): NodeConfig {
  return defaultNodeConfig(id, persona, {
    network: { ...NET, localPort: port },
    bootstrap,
    seed: "test-seed",
    content: [],
    timing,
  });
}

/** A pino logger whose lines land in `lines`, parsed. */
export function memoryLogger(level = "info"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export function runner(
  cfg: NodeConfig,
  port: number,
  extra: Partial<NodeRunnerOptions> = {},
): NodeRunner {
  const sqs: SqsOptions = { mode: "local", port, region: NET.region };
  return createNodeRunner({
    config: cfg,
    sqs,
    logger: memoryLogger().logger,
    waitTimeSeconds: 1,
    seed: `seed-${cfg.id}`,
    transport: { backoff: { baseMs: 100, maxMs: 800 } },
    ...extra,
  });
}
