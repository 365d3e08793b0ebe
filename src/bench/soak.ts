/**
 * `bun run soak`: a fleet under load for minutes, on the embedded SQS, with
 * a ledger. Eight nodes (the three bots and five `node`s) run at ten times
 * the default rates while a driver PINGs every node; queue depths and the
 * process's memory are sampled, and at the end every message SQS accepted
 * is accounted for, message by message (ledger.ts): handled exactly once,
 * or still in a queue. Anything else is lost.
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
import { LIMITS } from "../core/config.ts";
import { dedupeKey } from "../core/dedupe.ts";
import { readSeenLines, type KeptLine } from "../runtime/seen-journal.ts";
import { startChaos, type ChaosLog, type ChaosOptions } from "./chaos.ts";
import { inspectEmbeddedQueue, startEmbeddedSqs } from "../sqs/embedded.ts";
import { closeLedger, createAcceptedRecord, ledgerCloses, summarize, type Ledger } from "./ledger.ts";
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
  /**
   * The driver's own view. `pongsDuplicated`: a second PONG for a PING (a
   * second answer); `pongsRepeated`: the same PONG delivered again (SQS's
   * at-least-once); `rttMs`: PING sent to its first PONG received.
   */
  driver: {
    pingsSent: number;
    pongsReceived: number;
    pongsDuplicated: number;
    pongsRepeated: number;
    pingsUnanswered: number;
    rttMs: { p50: number; p99: number; max: number };
  };
  /** After the last PING: how long until every one was answered, or the bound passed first. */
  settle: { by: "answered" | "bound"; ms: number };
  /**
   * Every message SQS accepted, by type, from SQS's own record, the seen
   * journals and the queues at the end: none depends on the nodes'
   * counters, which start again with each killed worker.
   */
  ledger: Ledger;
  chaos: ChaosLog | null;
  /** SQS requests by the nodes, from their counters (which start again with each killed worker: a floor). */
  sqsRequests: number;
  /** The outbox's flushes to disk and the time in them, summed over the nodes (since each worker's last start: a floor). */
  journalSyncs: { count: number; ms: number };
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
  // What SQS accepted and deleted, seen on its side: the ledger's "sent".
  const record = createAcceptedRecord();
  const sqs = await startEmbeddedSqs({ port: 0 }, record);
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
  const driver = { pingsSent: 0, pongs: new Map<number, number>(), deleted: 0, sendsAccepted: 0, sendsFailed: 0, pongsRepeated: 0 };
  /** seq -> when its PING was sent, until its first PONG; then the round trips. */
  const pingSentMs = new Map<number, number>();
  const rtts: number[] = [];
  // A PONG is counted once by its msg_id, as a node dedupes: one received again (its delete lost, or
  // its send retried after an outage cut the connection after SQS took it) is the same answer.
  const counted = new Set<string>();
  const countReply = (text: string) => {
    const body = summarize(text);
    if (!body) return;
    const key = dedupeKey(body.sender, body.msgId);
    if (counted.has(key)) {
      driver.pongsRepeated++;
      return;
    }
    counted.add(key);
    if (body.type !== "PONG" || body.seq === undefined) return;
    driver.pongs.set(body.seq, (driver.pongs.get(body.seq) ?? 0) + 1);
    const sentMs = pingSentMs.get(body.seq);
    if (sentMs !== undefined) {
      rtts.push(Date.now() - sentMs);
      pingSentMs.delete(body.seq);
    }
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
      // A depth the SQS could not tell (an outage) is NaN in the sample and said as such here.
      const read = Object.values(depths).filter(Number.isFinite);
      const depthText = read.length === ids.length ? `depth max ${Math.max(...read)}` : `depth unreadable for ${ids.length - read.length} of ${ids.length} queues${read.length ? `, max ${Math.max(...read)}` : ""}`;
      progress(`${s.atS}s  ${depthText}  rss ${s.rssMb} MB`);
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
          const sentMs = Date.now();
          try {
            // Awaited first: `x += await f()` reads x before the wait, and these sends run side by side.
            const accepted = await sendMessagesAccepted(client, url(id), bodies);
            driver.sendsAccepted += accepted.length;
            driver.pingsSent += accepted.length;
            for (const i of accepted) pingSentMs.set(seqs[i]!, sentMs);
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
  // What is still in every queue that took part: visible, delayed or taken and not deleted.
  const queueName = (id: string) => `${NET.prefix}-node-${id}-p2p`;
  const stillQueued = new Map<string, Set<string>>();
  for (const id of [...ids, DRIVER]) {
    const keys = new Set<string>();
    for (const { body } of (await inspectEmbeddedQueue(sqs.endpoint, queueName(id))) ?? []) {
      const m = summarize(body);
      if (m) keys.add(dedupeKey(m.sender, m.msgId));
    }
    stillQueued.set(id, keys);
  }
  const journals = new Map<string, KeptLine[]>(ids.map((id) => [id, readSeenLines(join(stateDir, `${id}.seen`))]));
  // A journal forgets keys past its window and its bound: a key forgotten would read as a message lost.
  const forgetful: string[] = [];
  if (Date.now() - t0 >= LIMITS.dedupeWindowMs) forgetful.push(`the run outlasted the journals' ${LIMITS.dedupeWindowMs / 60_000}-minute window`);
  for (const [id, lines] of journals) {
    if (lines.filter((x) => x.table === "message").length >= LIMITS.dedupeMax) forgetful.push(`${id}'s journal reached its bound of ${LIMITS.dedupeMax} keys`);
  }
  const byName = new Map([...ids, DRIVER].map((id) => [queueName(id), id]));
  const ledger = closeLedger({
    accepted: record.messages(),
    overflow: record.overflow(),
    deletesUnmatched: record.deletesUnmatched(),
    nodeOfQueue: (name) => byName.get(name) ?? null,
    journals,
    handledElsewhere: new Map([[DRIVER, counted]]),
    stillQueued,
    incomplete: forgetful,
  });
  closeSqsClient(client);
  await sqs.stop();
  rmSync(dir, { recursive: true, force: true });

  const sum = (f: (n: Health["nodes"][number]) => number) => final.nodes.reduce((a, n) => a + f(n), 0);
  const warm = samples.find((s) => s.atS * 1000 >= WARMUP_MS) ?? samples[0]!;
  const last = samples.at(-1)!;
  const pongsDuplicated = [...driver.pongs.values()].reduce((a, c) => a + (c - 1), 0);
  rtts.sort((a, b) => a - b);
  const at = (q: number) => rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))] ?? NaN;
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
      rttMs: { p50: at(0.5), p99: at(0.99), max: rtts.at(-1) ?? NaN },
    },
    settle,
    ledger,
    chaos: chaosLog,
    sqsRequests: sum((n) => Object.values(n.counters.sqs_requests).reduce((a, b) => a + b, 0)),
    journalSyncs: { count: sum((n) => n.counters.journal_syncs?.count ?? 0), ms: Math.round(sum((n) => n.counters.journal_syncs?.ms ?? 0)) },
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

/**
 * The soak's verdict: `pass` when the ledger closes (nothing lost, nothing
 * handled, answered or counted twice) and the driver saw every PING it sent
 * answered once or still queued; `incomplete` when the ledger could not be
 * closed (a bound of the record reached): it says nothing either way.
 */
export function soakVerdict(r: SoakReport): "pass" | "fail" | "incomplete" {
  if (!r.ledger.complete) return "incomplete";
  const stillQueuedPings = r.ledger.byType.PING?.stillQueued ?? 0;
  return ledgerCloses(r.ledger) && r.driver.pongsDuplicated === 0 && r.driver.pingsUnanswered <= stillQueuedPings ? "pass" : "fail";
}

export function formatSoak(r: SoakReport): string {
  const l = r.ledger;
  const a = (x: Ledger["answers"]["PING"]) =>
    `${x.handled} handled: ${x.answeredOnce} answered once, ${x.unanswered} unanswered, ${x.answeredTwice} answered twice` +
    (x.answeredStillQueued > 0 ? `, ${x.answeredStillQueued} answered and still queued` : "");
  const rows: Array<[string, string]> = [
    ["nodes", `${r.nodes.length} (${r.nodes.join(", ")})`],
    ["duration", `${r.seconds} s at the rates in use`],
    [
      "ledger",
      `${l.total.accepted} messages accepted by SQS: ${l.total.handledOnce} handled once, ${l.total.stillQueued} still queued, ${l.total.lost} lost, ` +
        `${l.total.handledTwice} handled twice (${l.total.acceptedAgain} copies of a msg_id accepted again)` +
        (l.complete ? "" : `; INCOMPLETE: ${l.incomplete.join("; ")}`),
    ],
    ["PING -> PONG", a(l.answers.PING)],
    ["HELLO -> PEER_LIST", a(l.answers.HELLO)],
    ["replies / votes", `${l.repliesNotAccepted} replies a journal names that SQS never took; ${l.votesCountedTwice} votes counted twice`],
    ...Object.entries(l.examples).map(([kind, list]): [string, string] => [`  e.g. ${kind}`, list.join("; ")]),
    [
      "chaos",
      r.chaos
        ? `${r.chaos.kills.length} worker kills (${r.chaos.kills.map((k) => `${k.id}@${k.atS}s`).join(", ")}), ` +
          `${r.chaos.outages.length} SQS outages (${r.chaos.outages.map((o) => `${o.ms / 1000}s@${o.atS}s`).join(", ")}); ` +
          "a message whose sender died before SQS took it was never sent"
        : "none",
    ],
    [
      "driver PINGs",
      `${r.driver.pingsSent} sent, ${r.driver.pongsReceived} answered, ${r.driver.pingsUnanswered} unanswered, ${r.driver.pongsDuplicated} answered twice, ` +
        `${r.driver.pongsRepeated} PONGs delivered again; round trip p50 ${r.driver.rttMs.p50} ms, p99 ${r.driver.rttMs.p99} ms, max ${r.driver.rttMs.max} ms`,
    ],
    ["settled", `${r.settle.ms} ms after the last PING (${r.settle.by})`],
    ["queue depth", `max ${r.maxDepth} in any queue; ${r.lastDepthTotal} over all queues at the last sample`],
    ["memory (rss)", `${r.rssMb.afterWarmup} MB after warm-up, ${r.rssMb.end} MB at the end, max ${r.rssMb.max} MB`],
    ["main heap", `${r.heapMb.afterWarmup} MB after warm-up, ${r.heapMb.end} MB at the end`],
    ["SQS requests", `${r.sqsRequests} by the nodes (${(r.sqsRequests / Math.max(1, l.total.accepted)).toFixed(2)} per message accepted)`],
    ["outbox to disk", `${r.journalSyncs.count} flushes, ${(r.journalSyncs.ms / Math.max(1, r.journalSyncs.count)).toFixed(1)} ms each on average (what a batch waits for them)`],
    ["rejected / sends dropped", `${r.rejected} / ${r.sendsDropped}`],
    ["final states", r.finalStates.join(" ")],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const head = ["type", "accepted", "handled once", "still queued", "lost", "twice", "again"];
  const types = Object.entries(l.byType).sort(([x], [y]) => x.localeCompare(y));
  const table = [
    head,
    ...[...types, ["all", l.total] as const].map(([t, x]) =>
      [t, x.accepted, x.handledOnce, x.stillQueued, x.lost, x.handledTwice, x.acceptedAgain].map(String),
    ),
  ];
  const widths = head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const tableText = table.map((row) => "  " + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\nby type (messages SQS accepted; again: copies of one msg_id)\n" + tableText;
}

/** `bun run soak`: the report; exit code 1 when the ledger does not close, 2 when it could not be closed. */
export async function runSoakCommand(flags: SoakFlags, out: (s: string) => void): Promise<number> {
  const report = await runSoak({
    seconds: flags.seconds,
    nodes: flags.nodes,
    speed: flags.speed,
    progress: flags.json ? undefined : (l) => out(`  ${l}\n`),
    ...(flags.chaos ? { chaos: {} } : {}),
  });
  out((flags.json ? JSON.stringify(report) : formatSoak(report)) + "\n");
  const verdict = soakVerdict(report);
  if (!flags.json) out(`verdict: ${verdict}\n`);
  return verdict === "pass" ? 0 : verdict === "fail" ? 1 : 2;
}
