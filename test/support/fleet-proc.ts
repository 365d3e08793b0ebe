/**
 * `fleet up` as a real subprocess, talked to from outside as a user's node
 * would: through the AWS SDK on the embedded SQS and through the control
 * endpoint. Shared by the end-to-end tests of faults, restarts and secrets.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Subprocess } from "bun";
import { readLines } from "../../src/fleet/logs.ts";
import type { Health, HealthNode } from "../../src/fleet/health-types.ts";
import { queueDepth } from "../../src/sqs/queues.ts";
import { awsQueueUrl, FAST_TIMING, NET, queueUrl } from "./network.ts";
import { until } from "./until.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const BOTS = ["bot-alpha", "bot-bravo", "bot-charlie"];
export { ACCOUNT, awsQueueUrl, FAST_TIMING, queueName, queueUrl } from "./network.ts";

/** fleet.yaml node lines for built-in bots, each with the persona of its name. */
export const botNodes = (ids: readonly string[] = BOTS) => ids.map((id) => `{ id: ${id}, persona: ${id} }`);

/**
 * A fleet file on the embedded SQS and a control endpoint, both on free
 * ports, with no periodic health table: `nodes` are fleet.yaml node lines,
 * `more` any other top-level lines (the timing by default).
 */
export function fleetFile(nodes: readonly string[], more: readonly string[] = [FAST_TIMING]): string {
  return ["network: { port: 0 }", ...more, "control: { port: 0 }", "health: { every: 0 }", "nodes:", ...nodes.map((n) => `  - ${n}`), ""].join("\n");
}

export interface Msg {
  type: string;
  sender: string;
  seq?: number;
  msg_id?: string;
  peers?: Array<{ node_id: string; queue_url?: string }>;
}

export { until } from "./until.ts";

/** The common fields of docs/protocol.md §2. */
export function envelope(type: string, sender: string, msgId: string, timestamp = new Date().toISOString()) {
  return { type, sender, timestamp, msg_id: msgId };
}

export interface FleetProc {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every line of stdout and stderr so far. */
  readonly lines: string[];
  readonly dir: string;
  readonly controlUrl: string;
  readonly sqsEndpoint: string;
  readonly sqs: SQSClient;
  readonly exited: Promise<number>;
  /** The JSON log lines so far (lines that are not JSON are skipped). */
  logs(): Array<Record<string, unknown>>;
  health(): Promise<Health>;
  node(id: string): Promise<HealthNode>;
  /** A body as it is (string) or as JSON (object), to a node's queue by its AWS-form URL. */
  send(to: string, body: object | string): Promise<void>;
  sendMany(to: string, bodies: Array<object | string>): Promise<void>;
  /** Creates a queue by its name (a node's: queueName(id)); returns the URL the SQS gives it. */
  createQueue(name: string): Promise<string>;
  /** Messages visible and in flight in a queue, by name. */
  depth(name: string): Promise<number>;
  /** Everything waiting in a node's queue, taken and deleted. */
  drain(id: string, waitSeconds?: number): Promise<Msg[]>;
  post(path: string): Promise<Response>;
  /** SIGTERM and the exit code (-1 past the bound). */
  stop(boundMs?: number): Promise<number>;
  kill(): void;
}

export interface FleetProcOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Where fleet.yaml is written and the fleet runs; default a fresh temp dir. */
  dir?: string;
  /** Debug routes on (default true). */
  debug?: boolean;
}

/** Longest output line a test keeps whole. */
const LINE_CHARS_MAX = 16 * 1024 * 1024;

export async function startFleetProc(yaml: string, opts: FleetProcOptions = {}): Promise<FleetProc> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "fleet-faults-"));
  const file = join(dir, "fleet.yaml");
  writeFileSync(file, yaml);
  const proc = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", file, "--json", ...(opts.args ?? [])], {
    cwd: dir,
    env: { ...process.env, ...(opts.debug === false ? {} : { FLEET_DEBUG_ROUTES: "1" }), ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const keep = (line: string) => void lines.push(line);
  // Whole lines, however long: a health line with the network view is parsed as JSON.
  void readLines(proc.stdout, keep, LINE_CHARS_MAX);
  void readLines(proc.stderr, keep, LINE_CHARS_MAX);
  const logs = () =>
    lines.flatMap((l) => {
      try {
        const o = JSON.parse(l);
        return o !== null && typeof o === "object" ? [o as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  const up = await until("the fleet_up line", 20_000, async () => {
    if (proc.exitCode !== null) throw new Error(`fleet up exited with ${proc.exitCode}:\n${lines.join("\n")}`);
    return logs().find((o) => o.event === "fleet_up");
  });
  const controlUrl = String(up.control_url);
  const sqsEndpoint = String(up.sqs_endpoint);
  const sqs = new SQSClient({
    endpoint: sqsEndpoint,
    region: NET.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // Like boto3 with endpoint_url: the notebook's AWS-form URLs, sent to the local endpoint.
    useQueueUrlAsEndpoint: false,
  });
  const urlOf = (to: string) => (to.includes("/") ? to : queueUrl(to));
  const body = (b: object | string) => (typeof b === "string" ? b : JSON.stringify(b));
  const health = async () => (await (await fetch(`${controlUrl}/health`)).json()) as Health;
  return {
    proc,
    lines,
    dir,
    controlUrl,
    sqsEndpoint,
    sqs,
    exited: proc.exited,
    logs,
    health,
    async node(id) {
      const n = (await health()).nodes.find((x) => x.id === id);
      if (!n) throw new Error(`no node ${id} in /health`);
      return n;
    },
    async send(to, b) {
      await sqs.send(new SendMessageCommand({ QueueUrl: urlOf(to), MessageBody: body(b) }));
    },
    async sendMany(to, bodies) {
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: urlOf(to),
            Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: body(b) })),
          }),
        );
      }
    },
    async createQueue(name) {
      const r = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      return r.QueueUrl!;
    },
    async depth(name) {
      const d = await queueDepth(sqs, awsQueueUrl(name));
      return d.visible + d.inFlight;
    },
    async drain(id, waitSeconds = 1) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urlOf(id), MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
      const got = r.Messages ?? [];
      if (got.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: urlOf(id), Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
        );
      }
      return got.map((m) => JSON.parse(m.Body!) as Msg);
    },
    post: (path) => fetch(`${controlUrl}${path}`, { method: "POST" }),
    async stop(boundMs = 10_000) {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      return Promise.race([proc.exited, Bun.sleep(boundMs).then(() => -1)]);
    },
    kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      sqs.destroy();
    },
  };
}

/** Log lines of one node with one message, e.g. ("bot-bravo", "message rejected"). */
export function logLinesOf(f: FleetProc, node: string, msg: string): Array<Record<string, unknown>> {
  return f.logs().filter((o) => o.node === node && o.msg === msg);
}
