/**
 * `bun run soak`: a fleet under load for minutes, on the embedded SQS, with
 * a ledger. Eight nodes (the three bots and five `node`s) run at ten times
 * the default rates while a driver PINGs every node; queue depths and the
 * process's memory are sampled, and at the end every message any party sent
 * is accounted for: deleted by its receiver once handled, or still in a
 * queue. Anything else is lost.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { FleetFile } from "../fleet/config.ts";
import type { Health } from "../fleet/health-types.ts";
import { startFleet } from "../fleet/supervisor.ts";
import { queueUrlOf, type NetworkId } from "../protocol/index.ts";
import { closeSqsClient, createSqsClient, ensureQueue, type SqsOptions } from "../sqs/client.ts";
import { sendMessages, takeMessages } from "../sqs/messages.ts";
import { queueDepth } from "../sqs/queues.ts";
import { startEmbeddedSqs } from "../sqs/embedded.ts";
import { COURSE_NETWORK, timingAtSpeed } from "./course.ts";

/** How a soak runs: one source of its defaults and bounds, for the command line and for tests. */
export const SoakSettings = z.strictObject({
  // Two minutes: long enough for a leak or a backlog to show, short enough to run before a release.
  seconds: z.number().positive().max(24 * 3600).default(120),
  // The three bots and `node`s for the rest; a fleet file holds at most 100.
  nodes: z.number().int().min(3).max(100).default(8),
  // Rates relative to the course's defaults (fleet.yaml timing); 10 packs ten minutes into one.
  speed: z.number().positive().max(100).default(10),
  // Driver PINGs per node per second: on top of the nodes' own traffic, not the bulk of it.
  pingsPerNodePerSecond: z.number().positive().max(100).default(5),
  // Between samples of depths and memory, ms.
  sampleEveryMs: z.number().int().positive().default(5_000),
});
export type SoakSettings = z.infer<typeof SoakSettings>;

export type SoakOptions = z.input<typeof SoakSettings> & {
  /** Progress lines; default none. */
  progress?: (line: string) => void;
};

/** `bun run soak` flags: the settings a person picks, and the output form. */
export const SoakFlags = SoakSettings.pick({ seconds: true, nodes: true, speed: true }).extend({
  json: z.boolean().default(false),
});
export type SoakFlags = z.infer<typeof SoakFlags>;

export interface SoakSample {
  atS: number;
  /** Visible plus in flight, per node queue. */
  depths: Record<string, number>;
  rssMb: number;
  heapMb: number;
}

export interface SoakReport {
  seconds: number;
  nodes: string[];
  samples: SoakSample[];
  maxDepth: number;
  /** Depth summed over the node queues in the last sample. */
  lastDepthTotal: number;
  rssMb: { afterWarmup: number; end: number; max: number };
  heapMb: { afterWarmup: number; end: number };
  driver: { pingsSent: number; pongsReceived: number; pongsDuplicated: number; pingsUnanswered: number };
  /** After the last PING: how long until every one was answered, or the bound passed first. */
  settle: { by: "answered" | "bound"; ms: number };
  /** The whole network's ledger. */
  ledger: { sent: number; deleted: number; leftInQueues: number; lost: number };
  /** Protocol messages the nodes handled, by type, summed. */
  handledByType: Record<string, number>;
  sqsRequests: number;
  rejected: number;
  sendsDropped: number;
  finalStates: string[];
}

const DRIVER = "soak-driver";
const NET: Omit<NetworkId, "localPort"> = { region: COURSE_NETWORK.region, account: COURSE_NETWORK.account, prefix: COURSE_NETWORK.prefix };
/**
 * Longest wait, after the driver's last PING, for every PING to be answered.
 * Generous, for a loaded machine; past it the fleet is stopped anyway (each
 * node sends what it holds) and the driver's queue drained, so only a PING no
 * node ever answered is reported unanswered.
 */
const SETTLE_BOUND_MS = 30_000;
/** Between looks at the answers while settling. */
const SETTLE_PROBE_MS = 50;
/** Samples before this are warm-up: workers start, JIT, first queues. */
const WARMUP_MS = 20_000;

export async function runSoak(opts: SoakOptions = {}): Promise<SoakReport> {
  const { progress: _, ...settings } = opts;
  const { seconds, nodes: nodeCount, speed, pingsPerNodePerSecond: pingRate, sampleEveryMs } = SoakSettings.parse(settings);
  const progress = opts.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "fleet-soak-"));
  const sqs = await startEmbeddedSqs({ port: 0 });
  const net: NetworkId = { ...NET, localPort: sqs.port };
  const ids = ["bot-alpha", "bot-bravo", "bot-charlie", ...Array.from({ length: nodeCount - 3 }, (_, i) => `node-${i + 1}`)];
  const file = FleetFile.parse({
    network: { port: sqs.port },
    timing: timingAtSpeed(speed),
    control: { port: 0 },
    health: { every: 0 },
    log_level: "warn",
    state: { dir: join(dir, "state"), every: 0 },
    nodes: ids.map((id) => ({ id, persona: id.startsWith("bot-") ? id : "node" })),
  });
  const sqsOptions: SqsOptions = { mode: "local", port: sqs.port, host: sqs.host };
  const client = createSqsClient(sqsOptions, { requestTimeoutMs: 30_000 });
  const url = (id: string) => queueUrlOf(net, id);
  await ensureQueue(client, sqsOptions, net, DRIVER);

  let logLines = 0;
  const fleet = await startFleet({ file, fileDir: dir, json: true, sqs, out: () => void logLines++ });
  const t0 = Date.now();
  const samples: SoakSample[] = [];
  const driver = { pingsSent: 0, pongs: new Map<number, number>(), deleted: 0, sendsAccepted: 0 };
  let driving = true;
  let draining = true;

  const sampler = (async () => {
    while (driving) {
      const depths: Record<string, number> = {};
      for (const id of ids) {
        const d = await queueDepth(client, url(id)).catch(() => ({ visible: NaN, inFlight: 0 }));
        depths[id] = d.visible + d.inFlight;
      }
      const m = process.memoryUsage();
      const s = { atS: Math.round((Date.now() - t0) / 1000), depths, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) };
      samples.push(s);
      progress(`${s.atS}s  depth max ${Math.max(...Object.values(depths))}  rss ${s.rssMb} MB`);
      await Bun.sleep(sampleEveryMs);
    }
  })();

  const sender = (async () => {
    let seq = 0;
    const tickMs = 200;
    const perTick = Math.max(1, Math.round((pingRate * tickMs) / 1000));
    while (Date.now() - t0 < seconds * 1000) {
      const at = new Date().toISOString();
      const tickStart = Date.now();
      await Promise.all(
        ids.map(async (id) => {
          const bodies = Array.from({ length: perTick }, () => {
            seq++;
            return JSON.stringify({ type: "PING", sender: DRIVER, timestamp: at, msg_id: `soak${seq}`, seq });
          });
          driver.pingsSent += bodies.length;
          // Awaited first: `x += await f()` reads x before the wait, and these sends run side by side.
          const accepted = await sendMessages(client, url(id), bodies);
          driver.sendsAccepted += accepted;
        }),
      );
      // The rate holds as long as SQS keeps up; a slow tick is not made up for (the driver must not become the load).
      await Bun.sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
    }
  })();

  // Once the fleet has stopped (`draining` false) nothing more can arrive: it takes until the queue is empty.
  const receiver = (async () => {
    for (;;) {
      const taken = await takeMessages(client, url(DRIVER), 1);
      for (const text of taken.bodies) {
        const body = JSON.parse(text || "{}") as { type?: string; seq?: number };
        if (body.type === "PONG" && typeof body.seq === "number") driver.pongs.set(body.seq, (driver.pongs.get(body.seq) ?? 0) + 1);
      }
      driver.deleted += taken.deleted;
      if (!draining && taken.bodies.length === 0) return;
    }
  })();

  await sender;
  const settle = await settled(() => driver.pongs.size >= driver.sendsAccepted);
  progress(`settled in ${settle.ms} ms (${settle.by})`);
  driving = false;
  await sampler;
  progress("stopping the fleet");
  const final: Health = await fleet.stop();
  draining = false;
  await receiver;
  // What nobody took: visible or taken and not deleted, in every queue that took part.
  let leftInQueues = 0;
  for (const id of [...ids, DRIVER]) {
    const d = await queueDepth(client, url(id));
    leftInQueues += d.visible + d.inFlight;
  }
  closeSqsClient(client);
  await sqs.stop();
  rmSync(dir, { recursive: true, force: true });

  const sum = (f: (n: Health["nodes"][number]) => number) => final.nodes.reduce((a, n) => a + f(n), 0);
  const sent = sum((n) => n.counters.messages?.sent ?? 0) + driver.sendsAccepted;
  const deleted = sum((n) => n.counters.messages?.deleted ?? 0) + driver.deleted;
  const handledByType: Record<string, number> = {};
  for (const n of final.nodes) for (const [k, v] of Object.entries(n.counters.in)) handledByType[k] = (handledByType[k] ?? 0) + v;
  const warm = samples.find((s) => s.atS * 1000 >= WARMUP_MS) ?? samples[0]!;
  const last = samples.at(-1)!;
  const pongsDuplicated = [...driver.pongs.values()].reduce((a, c) => a + (c - 1), 0);
  return {
    seconds,
    nodes: ids,
    samples,
    maxDepth: Math.max(...samples.flatMap((s) => Object.values(s.depths))),
    lastDepthTotal: Object.values(last.depths).reduce((a, b) => a + b, 0),
    rssMb: { afterWarmup: warm.rssMb, end: last.rssMb, max: Math.max(...samples.map((s) => s.rssMb)) },
    heapMb: { afterWarmup: warm.heapMb, end: last.heapMb },
    driver: {
      pingsSent: driver.pingsSent,
      pongsReceived: driver.pongs.size,
      pongsDuplicated,
      pingsUnanswered: driver.pingsSent - driver.pongs.size,
    },
    settle,
    ledger: { sent, deleted, leftInQueues, lost: sent - deleted - leftInQueues },
    handledByType,
    sqsRequests: sum((n) => Object.values(n.counters.sqs_requests).reduce((a, b) => a + b, 0)),
    rejected: sum((n) => Object.values(n.counters.rejected).reduce((a, b) => a + b, 0)),
    sendsDropped: sum((n) => Object.entries(n.counters.sqs_errors).filter(([k]) => k.startsWith("send_dropped")).reduce((a, [, v]) => a + v, 0)),
    finalStates: final.nodes.map((n) => `${n.id}:${n.state}`),
  };
}

/** Waits until every accepted PING has its PONG, or the bound passes. */
async function settled(answered: () => boolean): Promise<SoakReport["settle"]> {
  const start = Date.now();
  for (;;) {
    const ms = Date.now() - start;
    if (answered()) return { by: "answered", ms };
    if (ms > SETTLE_BOUND_MS) return { by: "bound", ms };
    await Bun.sleep(SETTLE_PROBE_MS);
  }
}

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

export function formatSoak(r: SoakReport): string {
  const rows: Array<[string, string]> = [
    ["nodes", `${r.nodes.length} (${r.nodes.join(", ")})`],
    ["duration", `${r.seconds} s at the rates in use`],
    ["messages handled", `${Object.values(r.handledByType).reduce((a, b) => a + b, 0)} (${Object.entries(r.handledByType).map(([k, v]) => `${k} ${v}`).join(", ")})`],
    ["ledger", `sent ${r.ledger.sent}, deleted after handling ${r.ledger.deleted}, left in queues ${r.ledger.leftInQueues}, lost ${r.ledger.lost}`],
    ["driver PINGs", `${r.driver.pingsSent} sent, ${r.driver.pongsReceived} answered, ${r.driver.pingsUnanswered} unanswered, ${r.driver.pongsDuplicated} PONGs duplicated`],
    ["settled", `${r.settle.ms} ms after the last PING (${r.settle.by})`],
    ["queue depth", `max ${r.maxDepth} in any queue; ${r.lastDepthTotal} over all queues at the last sample`],
    ["memory (rss)", `${r.rssMb.afterWarmup} MB after warm-up, ${r.rssMb.end} MB at the end, max ${r.rssMb.max} MB`],
    ["main heap", `${r.heapMb.afterWarmup} MB after warm-up, ${r.heapMb.end} MB at the end`],
    ["SQS requests", `${r.sqsRequests} by the nodes (${(r.sqsRequests / Math.max(1, r.ledger.sent)).toFixed(2)} per message sent)`],
    ["rejected / sends dropped", `${r.rejected} / ${r.sendsDropped}`],
    ["final states", r.finalStates.join(" ")],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

/** `bun run soak`: the report, and exit code 1 when a message was lost or a PING went unanswered. */
export async function runSoakCommand(flags: SoakFlags, out: (s: string) => void): Promise<number> {
  const report = await runSoak({
    seconds: flags.seconds,
    nodes: flags.nodes,
    speed: flags.speed,
    progress: flags.json ? undefined : (l) => out(`  ${l}\n`),
  });
  out((flags.json ? JSON.stringify(report) : formatSoak(report)) + "\n");
  return report.ledger.lost === 0 && report.driver.pingsUnanswered === 0 ? 0 : 1;
}
