import { resolve } from "node:path";
import type { Logger } from "pino";
import type { NetworkId } from "../protocol/index.ts";
import type { NodeConfig, Persona } from "../core/types.ts";
import { startEmbeddedSqs, type EmbeddedSqs } from "../sqs/embedded.ts";
import { startEmbeddedSqsThread } from "../sqs/embedded-thread.ts";
import { createSqsClient, ensureQueue, resolveEndpoint, type SqsOptions } from "../sqs/client.ts";
import { describeSqsError } from "../sqs/errors.ts";
import type { WorkerInit } from "../runtime/worker-messages.ts";
import type { WireRecord } from "../runtime/wire-record.ts";
import { createQueues, networkQueueIds, timingMs, type FleetFile, type FleetNode, type LogLevel } from "./config.ts";
import { createControlServer, json, type ControlServer, type Route } from "./control.ts";
import { healthBrief, toHealth } from "./health.ts";
import type { Health } from "./health-types.ts";
import { formatHealthTable } from "./health-table.ts";
import { createLogSink, createNodeLogger, REDACT_PATHS, type LogSink } from "./logs.ts";
import { commandNodeEnv } from "./node-env.ts";
import type { RestartPolicyOptions } from "./restart-policy.ts";
import { createSlot, type Slot } from "./slot.ts";
import { createThreadPool } from "./thread-pool.ts";
import { workerLauncher } from "./worker-launcher.ts";
import { commandLauncher } from "./command-launcher.ts";
import { createDashboard } from "./dashboard/index.ts";
import { createStateKeeper, type StateKeeper } from "./state-keeper.ts";
import type { TraceWriter } from "./trace.ts";
import { createWireRing, WIRE_RING_MAX, type WireRing } from "./wire-ring.ts";

export interface FleetOptions {
  file: FleetFile;
  /** Where `command:` nodes run and relative paths resolve. */
  fileDir: string;
  /** Run only these node ids (the others run elsewhere, sharing the same SQS). */
  only?: readonly string[];
  json: boolean;
  /**
   * Adds `POST /debug/crash/:id[?on=TEXT]` and, in local mode,
   * `POST /debug/sqs/stop` and `/debug/sqs/start` to the control endpoint
   * (tests and demos of restarts and outages).
   */
  debugRoutes?: boolean;
  /** Local mode: an embedded SQS the caller started, used instead of a new one and left running at stop (the soak counts what is left in it). */
  sqs?: EmbeddedSqs;
  policy?: RestartPolicyOptions;
  /** Another worker entry speaking the same messages (tests). */
  workerUrl?: URL | string;
  out?: (s: string) => void;
  env?: Record<string, string | undefined>;
  routes?: Route[];
  /** `fleet up --trace FILE`: every message recorded by a node is written there too. Closed at stop. */
  trace?: TraceWriter;
  /** Messages the fleet's timeline keeps for /timeline and the dashboard; default 5,000. */
  wireRingMax?: number;
  /** Messages one node records per health report (one a second), the rest counted; default 2,000. */
  wirePerReportMax?: number;
}

export interface Fleet {
  readonly control: ControlServer;
  /** The SDK endpoint of the fleet's SQS; null for Amazon's own. */
  readonly sqsEndpoint: string | null;
  readonly log: Logger;
  readonly sink: LogSink;
  /** The last messages of the fleet, as its nodes recorded them. */
  readonly wire: WireRing;
  health(): Health;
  /** Stops every node within about `boundMs`, then the control endpoint and the embedded SQS; the final health. */
  stop(boundMs?: number): Promise<Health>;
}

/** Something the user can fix (port taken, credentials, queue missing): one message, no stack. */
export class FleetStartError extends Error {
  override readonly name = "FleetStartError";
}

/** How often a worker reports its health: the table and /health are at most this stale. */
const WORKER_HEALTH_EVERY_MS = 1_000;
/** How often a worker hands its state over at most; saving more often than this only rewrites the same file. */
const WORKER_STATE_EVERY_MS = 5_000;
/** Messages one node hands over per health report at most: 2,000 a second is far above a class's traffic. */
const WIRE_PER_REPORT_MAX = 2_000;
/** A node gets this long to stop cleanly; with the SQS and the control endpoint, the fleet is down within 10 s. */
export const NODE_STOP_BOUND_MS = 5_000;

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const f = opts.file;
  const env = opts.env ?? process.env;
  const nodes: FleetNode[] = opts.only ? f.nodes.filter((n) => opts.only!.includes(n.id)) : f.nodes;
  const levelOf = (id: string): LogLevel => f.nodes.find((n) => n.id === id)?.log_level ?? f.log_level;
  const sink = createLogSink({
    json: opts.json,
    nodes: ["fleet", ...nodes.map((n) => n.id)],
    secrets: [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter((s): s is string => !!s),
    levelOf,
    out: opts.out,
  });
  const log = createNodeLogger("fleet", f.log_level, (line) => sink.write(line));
  const mode = f.network.sqs;

  let slots: Slot[] = [];
  let sqs: EmbeddedSqs | null = null;
  let endpoint: string | null = null;
  let control: ControlServer | null = null;
  let keeper: StateKeeper | null = null;

  const health = (): Health =>
    toHealth({
      nowMs: Date.now(),
      sqs: { mode, endpoint },
      control: control ? { port: control.port } : undefined,
      slots: slots.map((s) => s.view()),
    });

  const wireRingMax = opts.wireRingMax ?? WIRE_RING_MAX;
  const wire = createWireRing(wireRingMax);
  const onWire = (records: WireRecord[], dropped: number) => {
    wire.add(records, dropped);
    opts.trace?.write(records);
  };
  const dashboard = createDashboard({ getHealth: health, wire: { ring: wire, recordsMax: wireRingMax } });
  const routes: Route[] = [...dashboard.routes, ...(opts.routes ?? [])];
  if (opts.debugRoutes) {
    routes.push({
      method: "POST",
      path: "/debug/crash/:id",
      handler: (req, { params }) => {
        const slot = slots.find((s) => s.id === params.id);
        if (!slot) return json({ error: `no node ${params.id}` }, 404);
        // ?on=TEXT: die in the middle of a batch, on the first message whose body contains TEXT.
        const on = new URL(req.url).searchParams.get("on");
        if (on !== null && (on.length === 0 || on.length > 200)) return json({ error: "on: 1 to 200 characters of a message body" }, 400);
        const crashed = slot.crash(on ?? undefined);
        log.warn({ target: params.id, on_body: on }, `debug: crash of ${params.id} requested` + (on ? ` on a message containing ${JSON.stringify(on)}` : ""));
        return json({ crashed }, crashed ? 202 : 409);
      },
    });
    // An outage of the embedded SQS: it stops listening; its queues and messages stay, as Amazon's would.
    const outage = (action: "stop" | "start"): Route => ({
      method: "POST",
      path: `/debug/sqs/${action}`,
      handler: async () => {
        if (!sqs) return json({ error: "no embedded SQS in this fleet (aws mode)" }, 409);
        if (action === "stop") await sqs.pause();
        else await sqs.resume();
        log.warn({ sqs_endpoint: endpoint }, `debug: embedded SQS ${action === "stop" ? "stopped" : "started again"}`);
        return json({ sqs: action === "stop" ? "stopped" : "running", endpoint });
      },
    });
    routes.push(outage("stop"), outage("start"));
  }
  try {
    control = createControlServer({ port: f.control.port, getHealth: health, routes });
  } catch (err) {
    dashboard.stop();
    throw err;
  }

  try {
    if (mode === "local") {
      // A large fleet's requests get the embedded SQS a thread of its own, away from the logs and health.
      const large = nodes.filter((n) => n.persona !== undefined).length > f.threads.pack_above;
      sqs = opts.sqs ?? (await (large ? startEmbeddedSqsThread : startEmbeddedSqs)({ port: f.network.port }));
      endpoint = sqs.endpoint;
    } else {
      endpoint = resolveEndpoint({ mode, endpoint: f.network.endpoint, env }) ?? null;
    }
    const net: NetworkId = {
      region: f.network.region,
      account: f.network.account,
      prefix: f.network.prefix,
      ...(sqs ? { localPort: sqs.port } : {}),
    };
    const sqsOptions: SqsOptions = {
      mode,
      region: f.network.region,
      ...(sqs ? { port: sqs.port, host: sqs.host } : {}),
      ...(f.network.endpoint ? { endpoint: f.network.endpoint } : {}),
      createQueues: createQueues(f),
    };
    // The queues of the nodes run here must be there; where the fleet creates queues, so are the
    // roster's and the other nodes' of the file: the whole network, as the course provisions it on AWS.
    const here = nodes.map((n) => n.id);
    const rest = sqsOptions.createQueues ? networkQueueIds(f).filter((id) => !here.includes(id)) : [];
    await ensureQueues(sqsOptions, net, [...here, ...rest]);
    if (rest.length > 0) log.info({ event: "queues_created", queues: rest }, `queues of the network ready: ${rest.join(", ")}`);
    const k = createStateKeeper({ dir: resolve(opts.fileDir, f.state.dir), everyMs: f.state.every * 1000, log });
    keeper = k;

    const builtins = nodes.filter((n) => n.persona !== undefined).length;
    const pack = builtins > f.threads.pack_above;
    const pool = pack
      ? createThreadPool({
          sink,
          nodesPerThread: f.threads.nodes_per_thread,
          // Each node's long poll holds a socket for up to 20 s, and a tick sends to a dozen queues at once:
          // room for both, so that a thread's sends do not queue behind its polls (the client's gate,
          // sqs/socket-gate.ts, keeps any that do wait out of the connect timeout).
          host: { sqs: sqsOptions, socketsMax: 8 * f.threads.nodes_per_thread },
        })
      : null;
    const initOf = (n: FleetNode, persona: Persona): WorkerInit => ({
      ...workerInit(f, n, persona, net, sqsOptions, levelOf(n.id), opts.debugRoutes ?? false),
      wirePerReportMax: opts.wirePerReportMax ?? WIRE_PER_REPORT_MAX,
      ...withDefined("state", k.load(n.id)),
      seenJournalPath: k.seenPath(n.id),
    });
    slots = nodes.map((n) =>
      createSlot({
        id: n.id,
        persona: n.persona ?? "command",
        kind: n.persona ? "builtin" : "command",
        log,
        policy: opts.policy,
        launcher: n.persona
          ? pool !== null && n.persona === "node" && opts.workerUrl === undefined
            ? pool.launcherFor(n.id, initOf(n, n.persona), (state) => k.note(n.id, state), onWire)
            : workerLauncher({
                sink,
                url: opts.workerUrl,
                init: initOf(n, n.persona),
                onState: (state) => k.note(n.id, state),
                onWire,
              })
          : commandLauncher({
              id: n.id,
              command: n.command!,
              cwd: opts.fileDir,
              sink,
              env: commandNodeEnv({
                nodeId: n.id,
                net,
                mode,
                endpoint,
                bootstrap: f.bootstrap,
                settings: { seed: f.seed, timing: f.timing, content: f.content },
                base: env,
                own: n.env,
              }),
            }),
      }),
    );
    for (const s of slots) s.start();
  } catch (err) {
    dashboard.stop();
    keeper?.stop();
    opts.trace?.close();
    await control!.stop();
    if (sqs !== opts.sqs) await sqs?.stop();
    throw err;
  }

  const ctl = control;
  // The terminal's banner names the dashboard; a fleet logging JSON lines (under nohup, a service) says it here.
  const dashboardUrl = ctl.routes().includes("GET /") ? `${ctl.url}/` : null;
  const healthTimer =
    f.health.every > 0
      ? setInterval(() => {
          const h = health();
          // The brief form: the full one at every tick would make weeks of logs mostly peer lists.
          sink.writeBlock(formatHealthTable(h), { health: healthBrief(h), msg: "health" });
        }, f.health.every * 1000)
      : null;

  log.info(
    {
      event: "fleet_up",
      control_url: ctl.url,
      control_port: ctl.port,
      sqs_mode: mode,
      sqs_endpoint: endpoint,
      nodes: nodes.map((n) => n.id),
      state_dir: keeper?.dir ?? null,
      dashboard_url: dashboardUrl,
    },
    `fleet up: ${nodes.length} node(s) on ${mode === "local" ? `the embedded SQS at ${endpoint}` : `Amazon SQS${endpoint ? ` via ${endpoint}` : ""}`}; health at ${ctl.url}/health` +
      (dashboardUrl ? `, dashboard at ${dashboardUrl}` : ""),
  );

  let stopped: Promise<Health> | null = null;
  return {
    control: ctl,
    sqsEndpoint: endpoint,
    log,
    sink,
    wire,
    health,
    stop(boundMs = NODE_STOP_BOUND_MS) {
      stopped ??= (async () => {
        if (healthTimer) clearInterval(healthTimer);
        dashboard.stop();
        await Promise.all(slots.map((s) => s.stop(boundMs)));
        // Every node handed over its final state as it stopped.
        keeper?.stop();
        // the nodes' last records came with their final reports
        opts.trace?.close();
        const final = health();
        await ctl.stop();
        if (sqs !== opts.sqs) await sqs?.stop();
        return final;
      })();
      return stopped;
    },
  };
}

function workerInit(
  f: FleetFile,
  n: FleetNode,
  persona: Persona,
  net: NetworkId,
  sqs: SqsOptions,
  logLevel: LogLevel,
  debug: boolean,
): WorkerInit {
  const config: NodeConfig = {
    id: n.id,
    persona,
    network: net,
    bootstrap: f.bootstrap,
    seed: f.seed,
    content: f.content,
    timing: timingMs(f.timing),
    scale: f.scale,
  };
  const stateEveryMs = f.state.every > 0 ? Math.min(WORKER_STATE_EVERY_MS, f.state.every * 1000) : WORKER_STATE_EVERY_MS;
  return { config, sqs, logLevel, redactPaths: REDACT_PATHS, healthEveryMs: WORKER_HEALTH_EVERY_MS, debug, stateEveryMs };
}

function withDefined<K extends string, V>(key: K, v: V | undefined): { [k in K]?: V } {
  return v === undefined ? {} : ({ [key]: v } as { [k in K]: V });
}

/** Every node run here needs its queue before its first receive; a missing one is the user's to fix. */
async function ensureQueues(sqs: SqsOptions, net: NetworkId, ids: readonly string[]): Promise<void> {
  const client = createSqsClient(sqs, { requestTimeoutMs: 10_000 });
  try {
    for (const id of ids) {
      try {
        await ensureQueue(client, sqs, net, id);
      } catch (err) {
        throw new FleetStartError(`queue of ${id}: ${err instanceof Error && err.name.startsWith("Sqs") ? err.message : describeSqsError(err)}`);
      }
    }
  } finally {
    client.destroy();
  }
}
