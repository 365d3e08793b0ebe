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
import { deleteMessages, receiveMessages, sendMessagesAccepted } from "../sqs/messages.ts";
import { queueDepth, setVisibilityTimeout } from "../sqs/queues.ts";
import { readSeenLines } from "../runtime/seen-journal.ts";
import { startChaos, type ChaosLog, type ChaosOptions } from "./chaos.ts";
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
  /** Faults during the run (`--chaos`): workers killed, the SQS stopped. Default none. */
  chaos?: ChaosOptions;
  /**
   * Visibility timeout of the node queues, s: how soon SQS hands over again
   * what a killed node held. Default 30, SQS's own.
   */
  visibilityTimeoutSeconds?: number;
};

/** `bun run soak` flags: the settings a person picks, and the output form. */
export const SoakFlags = SoakSettings.pick({ seconds: true, nodes: true, speed: true }).extend({
  json: z.boolean().default(false),
  // Kill a random worker every ~20 s and stop the SQS for 5 s twice.
  chaos: z.boolean().default(false),
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
  /** `pongsDuplicated`: a second PONG for a PING (a second answer); `pongsRepeated`: the same PONG delivered again (SQS's at-least-once). */
  driver: { pingsSent: number; pongsReceived: number; pongsDuplicated: number; pongsRepeated: number; pingsUnanswered: number };
  /** After the last PING: how long until every one was answered, or the bound passed first. */
  settle: { by: "answered" | "bound"; ms: number };
  /**
   * The whole network's ledger from the nodes' counters. They start again
   * with each worker, so after a kill it cannot close (`closes: false`) and
   * `exactly` is the verdict.
   */
  ledger: { sent: number; deleted: number; leftInQueues: number; lost: number; closes: boolean };
  /**
   * Message by message, across every crash: each driver PING handled exactly
   * once (kept once in its node's seen journal) with exactly one PONG, or
   * still in its queue; and no node handled any message, or counted any
   * vote, twice (every key of every seen journal once).
   */
  exactly: {
    pingsHandledOnce: number;
    pingsStillQueued: number;
    /** Answered once, its journal line not written (a crash right after): the answer still counts once. */
    pingsAnsweredNotKept: number;
    /** Not handled, not answered, not queued. */
    pingsLost: number;
    /** Handled once, but no PONG reached the driver's queue. */
    pongsLost: number;
    pingsHandledTwice: number;
    messagesHandledTwice: number;
    votesCountedTwice: number;
  };
  chaos: ChaosLog | null;
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
/** A killed node is back within this (restart backoff 1 s doubling: a node killed twice in a row). */
const RESTART_MS = 5_000;

export async function runSoak(opts: SoakOptions = {}): Promise<SoakReport> {
  const { progress: _, chaos: chaosOptions, visibilityTimeoutSeconds, ...settings } = opts;
  const visibilityS = visibilityTimeoutSeconds ?? 30;
  const { seconds, nodes: nodeCount, speed, pingsPerNodePerSecond: pingRate, sampleEveryMs } = SoakSettings.parse(settings);
  const progress = opts.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "fleet-soak-"));
  const stateDir = join(dir, "state");
  const sqs = await startEmbeddedSqs({ port: 0 });
  const net: NetworkId = { ...NET, localPort: sqs.port };
  const ids = ["bot-alpha", "bot-bravo", "bot-charlie", ...Array.from({ length: nodeCount - 3 }, (_, i) => `node-${i + 1}`)];
  const file = FleetFile.parse({
    network: { port: sqs.port },
    timing: timingAtSpeed(speed),
    control: { port: 0 },
    health: { every: 0 },
    log_level: "warn",
    state: { dir: stateDir, every: 0 },
    nodes: ids.map((id) => ({ id, persona: id.startsWith("bot-") ? id : "node" })),
  });
  const sqsOptions: SqsOptions = { mode: "local", port: sqs.port, host: sqs.host };
  const client = createSqsClient(sqsOptions, { requestTimeoutMs: 30_000 });
  const url = (id: string) => queueUrlOf(net, id);
  await ensureQueue(client, sqsOptions, net, DRIVER);
  // Made before the fleet makes them, with the visibility timeout asked for.
  for (const id of ids) {
    await ensureQueue(client, sqsOptions, net, id);
    await setVisibilityTimeout(client, url(id), visibilityS);
  }

  let logLines = 0;
  const fleet = await startFleet({ file, fileDir: dir, json: true, sqs, out: () => void logLines++, debugRoutes: chaosOptions !== undefined });
  const t0 = Date.now();
  const samples: SoakSample[] = [];
  /** seq -> the node it was sent to, for every PING SQS accepted. */
  const pingTarget = new Map<number, string>();
  const driver = { pingsSent: 0, pongs: new Map<number, number>(), deleted: 0, sendsAccepted: 0, sendsFailed: 0, pongsRepeated: 0 };
  // A PONG is counted once by its msg_id, as a node dedupes: one received again (its delete lost, or
  // its send retried after an outage cut the connection after SQS took it) is the same answer.
  const counted = new Set<string>();
  const countReply = (text: string) => {
    const body = JSON.parse(text || "{}") as { type?: string; seq?: number; sender?: string; msg_id?: string };
    const key = `${body.sender}/${body.msg_id}`;
    if (counted.has(key)) {
      driver.pongsRepeated++;
      return;
    }
    counted.add(key);
    if (body.type === "PONG" && typeof body.seq === "number") driver.pongs.set(body.seq, (driver.pongs.get(body.seq) ?? 0) + 1);
  };
  const chaos = chaosOptions
    ? startChaos(
        {
          ids,
          kill: async (id) => (await fetch(`${fleet.control.url}/debug/crash/${id}`, { method: "POST" })).status === 202,
          pauseSqs: () => sqs.pause(),
          resumeSqs: () => sqs.resume(),
        },
        seconds * 1000,
        chaosOptions,
      )
    : null;
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
          const seqs = Array.from({ length: perTick }, () => ++seq);
          const bodies = seqs.map((s) => JSON.stringify({ type: "PING", sender: DRIVER, timestamp: at, msg_id: `soak${s}`, seq: s }));
          try {
            // Awaited first: `x += await f()` reads x before the wait, and these sends run side by side.
            const accepted = await sendMessagesAccepted(client, url(id), bodies);
            driver.sendsAccepted += accepted.length;
            driver.pingsSent += accepted.length;
            for (const i of accepted) pingTarget.set(seqs[i]!, id);
          } catch {
            // An outage: these PINGs were never sent (or, cut off after SQS took them, are answered all the same).
            driver.sendsFailed += bodies.length;
          }
        }),
      );
      // The rate holds as long as SQS keeps up; a slow tick is not made up for (the driver must not become the load).
      await Bun.sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
    }
  })();

  // Once the fleet has stopped (`draining` false) nothing more can arrive: it takes until the queue is empty.
  const receiver = (async () => {
    for (;;) {
      let got;
      try {
        got = await receiveMessages(client, url(DRIVER), 1);
        // Counted before the delete: a delete cut off by an outage only makes a repeat.
        for (const m of got) countReply(m.body);
        driver.deleted += await deleteMessages(client, url(DRIVER), got.map((m) => m.receiptHandle));
      } catch {
        await Bun.sleep(200); // an outage: try again
        continue;
      }
      if (!draining && got.length === 0) return;
    }
  })();

  await sender;
  const chaosLog = chaos ? await chaos.stop() : null;
  // After faults, what a killed node held comes back only after the visibility timeout, to a node that is back.
  const settle = await settled(
    () => driver.pongs.size >= driver.sendsAccepted,
    chaos ? Math.max(SETTLE_BOUND_MS, visibilityS * 1000 + RESTART_MS + SETTLE_BOUND_MS) : SETTLE_BOUND_MS,
  );
  progress(`settled in ${settle.ms} ms (${settle.by})`);
  driving = false;
  await sampler;
  progress("stopping the fleet");
  const final: Health = await fleet.stop();
  draining = false;
  await receiver;
  // What nobody took: visible or taken and not deleted, in every queue that took part.
  let leftInQueues = 0;
  const queuedMsgIds = new Set<string>();
  for (const id of [...ids, DRIVER]) {
    const d = await queueDepth(client, url(id));
    leftInQueues += d.visible + d.inFlight;
    for (const body of await queuedBodies(sqs.endpoint, `${NET.prefix}-node-${id}-p2p`)) {
      const m = /"msg_id":"([^"]+)"/.exec(body);
      if (m) queuedMsgIds.add(m[1]!);
    }
  }
  // PONGs that reached the driver's queue but not the driver before it stopped: answers all the same.
  for (const body of await queuedBodies(sqs.endpoint, `${NET.prefix}-node-${DRIVER}-p2p`)) countReply(body);
  const exactly = exactlyOnce(ids, stateDir, pingTarget, driver.pongs, queuedMsgIds);
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
    // A sample taken during an outage has no depth (NaN): left out.
    maxDepth: Math.max(...samples.flatMap((s) => Object.values(s.depths)).filter(Number.isFinite)),
    lastDepthTotal: Object.values(last.depths).reduce((a, b) => a + b, 0),
    rssMb: { afterWarmup: warm.rssMb, end: last.rssMb, max: Math.max(...samples.map((s) => s.rssMb)) },
    heapMb: { afterWarmup: warm.heapMb, end: last.heapMb },
    driver: {
      pingsSent: driver.pingsSent,
      pongsReceived: driver.pongs.size,
      pongsDuplicated,
      pongsRepeated: driver.pongsRepeated,
      pingsUnanswered: driver.pingsSent - driver.pongs.size,
    },
    settle,
    ledger: { sent, deleted, leftInQueues, lost: sent - deleted - leftInQueues, closes: chaosLog === null || chaosLog.kills.length === 0 },
    exactly,
    chaos: chaosLog,
    handledByType,
    sqsRequests: sum((n) => Object.values(n.counters.sqs_requests).reduce((a, b) => a + b, 0)),
    rejected: sum((n) => Object.values(n.counters.rejected).reduce((a, b) => a + b, 0)),
    sendsDropped: sum((n) => Object.entries(n.counters.sqs_errors).filter(([k]) => k.startsWith("send_dropped")).reduce((a, [, v]) => a + v, 0)),
    finalStates: final.nodes.map((n) => `${n.id}:${n.state}`),
  };
}

/** Waits until every accepted PING has its PONG, or the bound passes. */
async function settled(answered: () => boolean, boundMs: number): Promise<SoakReport["settle"]> {
  const start = Date.now();
  for (;;) {
    const ms = Date.now() - start;
    if (answered()) return { by: "answered", ms };
    if (ms > boundMs) return { by: "bound", ms };
    await Bun.sleep(SETTLE_PROBE_MS);
  }
}

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/** The bodies still in a queue of the embedded SQS, visible, delayed or in flight (its own inspection route). */
async function queuedBodies(endpoint: string, queueName: string): Promise<string[]> {
  const r = await fetch(`${endpoint}/_fauxqs/queues/${queueName}`);
  if (!r.ok) return [];
  const q = (await r.json()) as {
    messages?: { ready?: Array<{ body?: string }>; delayed?: Array<{ body?: string }>; inflight?: Array<{ message?: { body?: string } }> };
  };
  const m = q.messages ?? {};
  return [...(m.ready ?? []), ...(m.delayed ?? []), ...(m.inflight ?? []).map((e) => e.message ?? {})].map((x) => x.body ?? "");
}

/** The message-by-message ledger from the seen journals, the PONGs and what is still queued. */
function exactlyOnce(
  ids: readonly string[],
  stateDir: string,
  pingTarget: ReadonlyMap<number, string>,
  pongs: ReadonlyMap<number, number>,
  queuedMsgIds: ReadonlySet<string>,
): SoakReport["exactly"] {
  const r: SoakReport["exactly"] = {
    pingsHandledOnce: 0,
    pingsStillQueued: 0,
    pingsAnsweredNotKept: 0,
    pingsLost: 0,
    pongsLost: 0,
    pingsHandledTwice: 0,
    messagesHandledTwice: 0,
    votesCountedTwice: 0,
  };
  const kept = new Map<string, Map<string, number>>();
  for (const id of ids) {
    const counts = new Map<string, number>();
    for (const line of readSeenLines(join(stateDir, `${id}.seen`))) {
      const k = `${line.table}:${line.key}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) {
      if (n < 2) continue;
      if (k.startsWith("event:")) r.votesCountedTwice += n - 1;
      else r.messagesHandledTwice += n - 1;
    }
    kept.set(id, counts);
  }
  for (const [seq, id] of pingTarget) {
    const keptN = kept.get(id)?.get(`message:${DRIVER}\u0000soak${seq}`) ?? 0;
    const pongN = pongs.get(seq) ?? 0;
    if (keptN > 1 || pongN > 1) r.pingsHandledTwice++;
    else if (keptN === 1 && pongN === 1) r.pingsHandledOnce++;
    else if (pongN === 1) r.pingsAnsweredNotKept++;
    else if (queuedMsgIds.has(`soak${seq}`)) r.pingsStillQueued++;
    else if (keptN === 1) r.pongsLost++;
    else r.pingsLost++;
  }
  return r;
}

/** The soak's verdict: nothing lost, nothing handled or answered twice. */
export function soakPassed(r: SoakReport): boolean {
  const e = r.exactly;
  return (
    (!r.ledger.closes || r.ledger.lost === 0) &&
    e.pingsLost === 0 &&
    e.pongsLost === 0 &&
    e.pingsHandledTwice === 0 &&
    e.messagesHandledTwice === 0 &&
    e.votesCountedTwice === 0 &&
    r.driver.pongsDuplicated === 0 &&
    r.driver.pingsUnanswered === e.pingsStillQueued
  );
}

export function formatSoak(r: SoakReport): string {
  const rows: Array<[string, string]> = [
    ["nodes", `${r.nodes.length} (${r.nodes.join(", ")})`],
    ["duration", `${r.seconds} s at the rates in use`],
    ["messages handled", `${Object.values(r.handledByType).reduce((a, b) => a + b, 0)} (${Object.entries(r.handledByType).map(([k, v]) => `${k} ${v}`).join(", ")})`],
    [
      "ledger",
      r.ledger.closes
        ? `sent ${r.ledger.sent}, deleted after handling ${r.ledger.deleted}, left in queues ${r.ledger.leftInQueues}, lost ${r.ledger.lost}`
        : `node counters start again with each killed worker: see "exactly once"; ${r.ledger.leftInQueues} left in queues`,
    ],
    [
      "exactly once",
      `driver PINGs: ${r.exactly.pingsHandledOnce} handled once, ${r.exactly.pingsStillQueued} still queued, ${r.exactly.pingsAnsweredNotKept} answered but not kept, ` +
        `${r.exactly.pingsLost} lost, ${r.exactly.pongsLost} handled but their PONG lost, ${r.exactly.pingsHandledTwice} handled twice; any node: ${r.exactly.messagesHandledTwice} messages handled twice, ${r.exactly.votesCountedTwice} votes counted twice`,
    ],
    [
      "chaos",
      r.chaos
        ? `${r.chaos.kills.length} worker kills (${r.chaos.kills.map((k) => `${k.id}@${k.atS}s`).join(", ")}), ` +
          `${r.chaos.outages.length} SQS outages (${r.chaos.outages.map((o) => `${o.ms / 1000}s@${o.atS}s`).join(", ")})`
        : "none",
    ],
    ["driver PINGs", `${r.driver.pingsSent} sent, ${r.driver.pongsReceived} answered, ${r.driver.pingsUnanswered} unanswered, ${r.driver.pongsDuplicated} answered twice, ${r.driver.pongsRepeated} PONGs delivered again`],
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
    ...(flags.chaos ? { chaos: {} } : {}),
  });
  out((flags.json ? JSON.stringify(report) : formatSoak(report)) + "\n");
  return soakPassed(report) ? 0 : 1;
}
