import pino from "pino";
import type { FleetFile } from "../fleet/config.ts";
import { timingMs } from "../fleet/config.ts";
import { commandLauncher } from "../fleet/command-launcher.ts";
import { commandNodeEnv } from "../fleet/node-env.ts";
import type { LogSink } from "../fleet/logs.ts";
import type { Running } from "../fleet/slot.ts";
import type { NetworkId } from "../protocol/index.ts";
import { createNodeRunner, type NodeRunner } from "../runtime/node-runner.ts";
import { closeSqsClient, createSqsClient, ensureQueue, type SqsOptions } from "../sqs/client.ts";
import { startEmbeddedSqs } from "../sqs/embedded.ts";
import { createTransport, type Transport } from "../sqs/transport.ts";
import type { Observer } from "./observer.ts";
import type { StallMonitor } from "./stalls.ts";
import { makeSession, PROBE_NAMES, probeSocketsMax, type OwnedSession } from "./make-session.ts";

/**
 * `fleet check --run CMD`: a network of its own for one node. The embedded
 * SQS on a free port, the fleet file's bots run by the real node runner in
 * this process (so that what the node sends them is seen too), the command
 * launched exactly as a `command:` node is, and, at the end, all of it
 * stopped: the queues go with the SQS.
 */

/** Output lines of the node kept for a report of its exit. */
export const NODE_LINES_MAX = 30;
/** Longest the node gets to say its first word (a HELLO to a bootstrap node). */
export function startupMs(heartbeatMs: number): number {
  return Math.max(10_000, 3 * heartbeatMs);
}
/** Bound on stopping the node and the bots. */
const STOP_BOUND_MS = 3_000;

/** The check cannot run: one message, exit code 2. */
export class CheckCannotRun extends Error {
  override readonly name = "CheckCannotRun";
}

export interface LocalInput {
  file: FleetFile;
  command: string;
  id: string;
  cwd: string;
  observer: Observer;
  stalls: StallMonitor;
  deadlineMs: number;
  env?: Record<string, string | undefined>;
  progress?: (line: string) => void;
}

export interface LocalNetwork {
  session: OwnedSession;
  /** The node's last output lines. */
  lines(): string[];
  exit(): string | null;
  stop(): Promise<void>;
}

/** A transport that shows the observer what it sends. */
function tapped(t: Transport, observer: Observer, id: string): Transport {
  return {
    start: () => t.start(),
    send(queueUrl, body, to, holdMs) {
      observer.record({ atMs: Date.now(), observer: id, dir: "out", from: id, to: to ?? "?", body });
      return t.send(queueUrl, body, to, holdMs);
    },
    ...(t.expectBurst ? { expectBurst: (atMs: number) => t.expectBurst!(atMs) } : {}),
    replay: (sends, onDone) => {
      for (const x of sends) observer.record({ atMs: Date.now(), observer: id, dir: "out", from: id, to: x.to ?? "?", body: x.body });
      t.replay(sends, onDone);
    },
    stop: (b) => t.stop(b),
    counters: () => t.counters(),
    state: () => t.state(),
  };
}

export async function startLocalNetwork(i: LocalInput): Promise<LocalNetwork> {
  const f = i.file;
  const sqs = await startEmbeddedSqs({ port: 0 });
  const net: NetworkId = { region: f.network.region, account: f.network.account, prefix: f.network.prefix, localPort: sqs.port };
  const sqsOptions: SqsOptions = { mode: "local", region: net.region, port: sqs.port, host: sqs.host };
  const client = createSqsClient(sqsOptions, { requestTimeoutMs: 30_000, socketsMax: probeSocketsMax(1) });
  const timing = timingMs(f.timing);
  const bots = f.nodes.filter((n) => n.persona !== undefined && n.id !== i.id);
  const runners: NodeRunner[] = [];
  let running: Running | null = null;
  const lines: string[] = [];
  let exit: string | null = null;
  let exitedAtMs = 0;
  let starts = 0;

  const stop = async () => {
    await running?.stop(STOP_BOUND_MS).catch(() => {});
    await session.close();
    await Promise.all(runners.map((r) => r.stop(STOP_BOUND_MS)));
    closeSqsClient(client);
    await sqs.stop();
  };

  const session = makeSession({
    target: i.id,
    mode: "run",
    net,
    sqs: sqsOptions,
    client,
    timing,
    seed: f.seed,
    content: f.content,
    observer: i.observer,
    deadlineMs: i.deadlineMs,
    probePrefix: "chk",
    stalls: i.stalls,
    ours: bots.map((b) => b.id),
    processState: () => ({ running: exit === null, starts, ...(exit === null ? {} : { exit, exitedAtMs }) }),
  });

  try {
    for (const id of [i.id, ...bots.map((b) => b.id), ...PROBE_NAMES.map((n) => `chk-${n}`)]) await ensureQueue(client, sqsOptions, net, id);
    const silent = pino({ level: "silent" });
    for (const b of bots) {
      const r = createNodeRunner({
        config: { id: b.id, persona: b.persona!, network: net, bootstrap: f.bootstrap, seed: f.seed, content: f.content, timing },
        sqs: sqsOptions,
        logger: silent,
        onReceive: (body) => void i.observer.record({ atMs: Date.now(), observer: b.id, dir: "in", to: b.id, body }),
        createTransport: (o) => tapped(createTransport(o), i.observer, b.id),
      });
      runners.push(r);
      await r.start();
    }

    const sink: LogSink = {
      json: false,
      write: (line) => keep(line),
      writeText: (_node, _stream, text) => keep(text),
      writeBlock: () => {},
    };
    function keep(line: string) {
      lines.push(line);
      if (lines.length > NODE_LINES_MAX) lines.shift();
    }
    const env = commandNodeEnv({ nodeId: i.id, net, mode: "local", endpoint: sqs.endpoint, bootstrap: f.bootstrap, settings: { seed: f.seed, timing: f.timing, content: f.content }, base: i.env ?? process.env });
    running = commandLauncher({ id: i.id, command: i.command, env, cwd: i.cwd, sink }).launch({ onHealth: () => {} });
    starts++;
    const ended = running.ended.then((e) => {
      // Stopped by the check at its end: not the node's doing.
      if (e.crashed) {
        exit = e.reason;
        exitedAtMs = Date.now();
      }
      return e;
    });
    i.progress?.(`started ${i.id}: ${i.command}`);
    const spoke = i.observer.waitFor((x) => x.rec.dir === "in" && x.rec.from === i.id, Math.min(startupMs(timing.heartbeatMs), Math.max(0, i.deadlineMs - Date.now())));
    const first = await Promise.race([spoke.then((x) => ({ spoke: x })), ended.then((e) => ({ ended: e }))]);
    if ("ended" in first) {
      await Bun.sleep(100);
      throw new CheckCannotRun(
        `${i.id} (${i.command}) ${first.ended.reason} before the check could start.` +
          (lines.length > 0 ? `\nIts last ${lines.length} output lines:\n${lines.map((l) => `  | ${l}`).join("\n")}` : "\nIt printed nothing."),
      );
    }
    if (first.spoke === null) i.progress?.(`${i.id} has said nothing yet; checking anyway`);
  } catch (err) {
    await stop();
    throw err;
  }
  session.startedMs = Date.now();
  return { session, lines: () => lines.slice(), exit: () => exit, stop };
}
