import type { Logger } from "pino";
import { createNode } from "../core/node.ts";
import { createRng } from "../core/rng.ts";
import type { PersistedState } from "../core/state.ts";
import type { NodeConfig, NodeCore, NodeEvent, Output, Remembered } from "../core/types.ts";
import { encode, queueUrlOf } from "../protocol/index.ts";
import { closeSqsClient, createSqsClient, ensureQueue, type SqsClient, type SqsOptions } from "../sqs/client.ts";
import { describeSqsError } from "../sqs/errors.ts";
import { createTransport, type Received, type Transport, type TransportEvent, type TransportOptions } from "../sqs/transport.ts";
import { createNodeLog, isStateChange } from "./node-log.ts";
import { createPongLinger } from "./pong-linger.ts";
import type { Pending, SeenJournal, WireSend } from "./seen-journal.ts";
import type { WireRecorder } from "./wire-recorder.ts";
import type { RunnerHealth, RunnerState } from "./types.ts";

export interface NodeRunnerOptions {
  config: NodeConfig;
  sqs: SqsOptions;
  logger: Logger;
  /** Wall clock, ms since the epoch; default Date.now. */
  clock?: () => number;
  /** Seed of the node's random choices and msg_ids; default fresh per run, so msg_ids never repeat across restarts. */
  seed?: string;
  /** Long-poll wait, s. Default 20 (3 requests a minute when idle). */
  waitTimeSeconds?: number;
  /** What a previous run exported. */
  state?: PersistedState;
  /** Transport tuning (flush window, backoff, visibility timeout...). */
  transport?: Partial<Omit<TransportOptions, "client" | "queueUrl" | "handle" | "onEvent">>;
  /**
   * An SQS client to share (one per process serves many nodes); default: one
   * of its own from `sqs`. A shared client is not destroyed at stop.
   */
  client?: SqsClient;
  /** Builds the transport; default the batching one. The benchmark swaps in the notebook's way. */
  createTransport?: (opts: TransportOptions) => Transport;
  /** State-change events kept for health. Default 50. */
  recentEventsMax?: number;
  /**
   * Once every peer PINGed in a tick has sent its own PING (their ticks sit
   * on the same grid: core/timers.ts), only PONGs to our PINGs are still on
   * their way, and nothing needs an answer: the next poll then waits this
   * long so they share one ReceiveMessage, ms. Default 50; 0 turns it off.
   */
  pongLingerMs?: number;
  /**
   * Opt-in: a PONG waits up to this long to ride with our next batch to the
   * peer (our next tick, at most one heartbeat away), ms. Default 0: a PONG
   * leaves at once. With about a heartbeat (11 000 at default timing) each
   * bot saves one SendMessageBatch per peer and heartbeat, and the RTT its
   * peers measure becomes up to a heartbeat long; liveness is unaffected, as
   * the tick's own batch still reaches the peer every heartbeat.
   */
  pongHoldMs?: number;
  /** Sees each body before the core does (the worker's debug crash in the middle of a batch). */
  onReceive?: (body: string) => void;
  /**
   * Where the node keeps its dedupe memory and outbox across restarts:
   * loaded at creation; a handled message's replies noted before they leave,
   * its keys once SQS took them, before its delete.
   */
  seenJournal?: SeenJournal;
  /** Records each message sent and received, for the fleet's message timeline. */
  wire?: WireRecorder;
}

export interface NodeRunner {
  readonly id: string;
  /** This node's queue, in the AWS form. */
  readonly queueUrl: string;
  /** Makes sure the queue exists (as the mode allows), says HELLO, starts polling. Never throws for SQS trouble: it reports it and retries. */
  start(): Promise<void>;
  /** Stops polling, finishes and deletes what it holds, flushes sends; within `boundMs` (default 5000). */
  stop(boundMs?: number): Promise<void>;
  health(): RunnerHealth;
  exportState(): PersistedState;
}

/** When a tick leaves its own deadline in the past, wait this long rather than spin. */
const SPIN_GUARD_MS = 50;

/**
 * The thin loop around a NodeCore (STYLE.md, quinn-proto): read the clock
 * once, call the core, hand its sends to the transport, re-arm one timer only
 * when the core's next deadline moved.
 */
export function createNodeRunner(opts: NodeRunnerOptions): NodeRunner {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? `${config.id}:${crypto.randomUUID()}`;
  const waitTimeSeconds = opts.waitTimeSeconds ?? 20;
  const recentEventsMax = opts.recentEventsMax ?? 50;
  const pongLingerMs = opts.pongLingerMs ?? 50;
  const pongHoldMs = opts.pongHoldMs ?? 0;
  const queueUrl = queueUrlOf(config.network, config.id);
  const mayCreate = opts.sqs.mode === "local" || opts.sqs.createQueues === true;
  const ownsClient = opts.client === undefined;
  const client = opts.client ?? createSqsClient(opts.sqs, { requestTimeoutMs: (waitTimeSeconds + 10) * 1000 });
  const nodeLog = createNodeLog(logger, config.id, queueUrl);
  const { log, debug } = nodeLog;
  /** Replies a previous run noted but SQS may not have taken: sent again at start. */
  let toReplay: Pending[] = [];
  /** Seen-journal failures by operation and error code (`write_eacces`, `sync_eio`, `read_eisdir`...); before the core, whose creation loads the journal. */
  const journalErrors: Record<string, number> = {};
  const core: NodeCore = createNode(config, createRng(seed), clock(), opts.state, loadSeen());
  const recentEvents: RunnerHealth["recentEvents"] = [];
  const urlRejected: Record<string, number> = {};

  let state: RunnerState = "starting";
  let startedAtMs = clock();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedMs = NaN;
  let stopped = false;
  let recreating: Promise<unknown> | null = null;

  /** Counts and logs (once per reason, bounded) a failure of the seen journal; the node goes on. */
  function journalFailed(op: "read" | "write" | "sync", err: unknown, nowMs: number): void {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const reason = `${op}_${typeof code === "string" ? code.toLowerCase() : "other"}`;
    journalErrors[reason] = (journalErrors[reason] ?? 0) + 1;
    nodeLog.journalFailed(opts.seenJournal?.path ?? "", err, nowMs, reason);
  }

  function loadSeen(): Remembered[] {
    const journal = opts.seenJournal;
    if (!journal) return [];
    try {
      const { entries, replay, damaged } = journal.load(clock());
      if (damaged > 0) log.warn({ file: journal.path, damaged }, "seen journal: damaged lines skipped");
      if (entries.length > 0) log.info({ file: journal.path, keys: entries.length, replies_to_replay: replay.length }, "dedupe memory restored");
      toReplay = replay;
      return entries;
    } catch (err) {
      journalFailed("read", err, clock());
      return [];
    }
  }

  /** Notes a handled message's replies before they leave; a failure is logged, never thrown. */
  function notePending(p: Pending, nowMs: number): void {
    const journal = opts.seenJournal;
    if (!journal) return;
    try {
      journal.pending(p);
    } catch (err) {
      journalFailed("write", err, nowMs);
    }
  }

  /**
   * Keeps what a handled message made the core remember, once its work is
   * done, with the msg_ids of the replies it sent (what a ledger checks
   * each message's answers against).
   */
  function keepSeen(entries: Remembered[], nowMs: number, replies: readonly string[]): void {
    const journal = opts.seenJournal;
    if (!journal) return;
    try {
      journal.append(entries, nowMs, replies);
    } catch (err) {
      journalFailed("write", err, nowMs);
    }
  }

  /** A flush's error, counted once however many batches waited for that flush. */
  let flushError: Error | null = null;

  /** What a batch waits for before it leaves: the replies noted before it, on disk (seen-journal.ts says why). */
  function flushOutbox(): Promise<void> | undefined {
    const journal = opts.seenJournal;
    if (!journal) return undefined;
    return journal.flush().then((err) => {
      if (err === null || err === flushError) return;
      flushError = err;
      journalFailed("sync", err, clock());
    });
  }

  /** Kept for health beside what the log says of them. */
  function noteEvent(e: NodeEvent, nowMs: number): void {
    if (isStateChange(e)) {
      recentEvents.push({ atMs: nowMs, event: e });
      if (recentEvents.length > recentEventsMax) recentEvents.splice(0, recentEvents.length - recentEventsMax);
    } else if (e.type === "url_rejected") {
      urlRejected[e.reason] = (urlRejected[e.reason] ?? 0) + 1;
    }
    nodeLog.event(e, nowMs);
  }

  const linger = createPongLinger(pongLingerMs, (untilMs) => transport.expectBurst?.(untilMs));

  /** `beforeSend` sees the replies as they will leave, before any does (the journal's outbox). */
  function dispatch(out: Output, nowMs: number, beforeSend?: (wire: WireSend[]) => void): void {
    const wire = out.sends.map((s) => ({ queueUrl: s.queueUrl, body: encode(s.message), to: s.to }));
    if (wire.length > 0) beforeSend?.(wire);
    out.sends.forEach((s, i) => {
      if (debug()) log.debug({ to: s.to, type: s.message.type, msg_id: s.message.msg_id }, "send");
      const hold = s.message.type === "PONG" && pongHoldMs > 0 ? pongHoldMs : undefined;
      transport.send(s.queueUrl, wire[i]!.body, s.to, hold);
      opts.wire?.sent(s.to, s.message.type, s.message.msg_id, wire[i]!.body, nowMs);
    });
    for (const e of out.events) noteEvent(e, nowMs);
    linger.dispatched(out.sends, nowMs);
  }

  function rearm(afterTick = false): void {
    if (stopped) return;
    const deadline = core.nextDeadlineMs();
    if (deadline === armedMs && timer !== undefined) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    armedMs = deadline;
    if (!Number.isFinite(deadline)) return;
    const now = clock();
    const delay = deadline > now ? deadline - now : afterTick ? SPIN_GUARD_MS : 0;
    timer = setTimeout(onTimer, delay);
  }

  function onTimer(): void {
    timer = undefined;
    if (stopped) return;
    const now = clock();
    const out = core.tick(now);
    dispatch(out, now);
    linger.ticked(out.sends, now);
    rearm(true);
  }

  function handle(body: string, received: Received): void {
    opts.onReceive?.(body);
    const now = clock();
    if (debug()) log.debug({ bytes: body.length, receiveCount: received.receiveCount }, "receive");
    const out = core.receive(body, now);
    // recorded before the sends it causes, so a timeline shows the PING arriving before its PONG leaves
    if (opts.wire && out.received) opts.wire.received(out.received.sender, out.received.type, out.received.msgId, body, now);
    const handledKey = out.remembered?.find((r) => r.table === "message");
    dispatch(out, now, (wire) => {
      // Noted before they leave: a crash with them in flight replays these very bodies, never new answers.
      if (handledKey) notePending({ key: handledKey.key, atMs: handledKey.atMs, sends: wire }, now);
    });
    const seen = out.remembered;
    if (seen && seen.length > 0) {
      const replies = out.sends.map((s) => s.message.msg_id);
      // Kept once its sends were accepted: after a crash before that, the noted replies go out again.
      received.onDone(() => keepSeen(seen, clock(), replies));
      // A reply that never reached SQS: the redelivery must be answered, not passed over as a repeat.
      received.onLost(() => core.forget(seen));
    }
    rearm();
  }

  function recreateOwnQueue(): void {
    if (!mayCreate || recreating) return;
    recreating = ensureQueue(client, opts.sqs, config.network, config.id)
      .then((r) => log.info({ queue: queueUrl, result: r }, "own queue recreated"))
      .catch((err) => log.warn({ error: describeSqsError(err) }, "own queue could not be recreated yet"))
      .finally(() => {
        recreating = null;
      });
  }

  function onTransportEvent(e: TransportEvent): void {
    const now = clock();
    if (e.type === "queue_missing" && e.to !== undefined) dispatch(core.queueMissing(e.to, now), now);
    nodeLog.transport(e, now, mayCreate);
    if (e.type === "own_queue_missing") recreateOwnQueue();
  }

  const transport: Transport = (opts.createTransport ?? createTransport)({
    ...opts.transport,
    client,
    queueUrl,
    waitTimeSeconds,
    handle,
    onEvent: onTransportEvent,
    beforeSend: flushOutbox,
  });

  return {
    id: config.id,
    queueUrl,
    async start() {
      if (state !== "starting") return;
      startedAtMs = clock();
      try {
        const r = await ensureQueue(client, opts.sqs, config.network, config.id);
        log.info({ queue: queueUrl, result: r }, "queue ready");
      } catch (err) {
        // Reported, not fatal: the receive loop retries with backoff and the node joins once SQS lets it.
        log.error({ error: err instanceof Error ? err.message : String(err) }, "queue not ready; will keep trying");
      }
      if (stopped) return;
      const now = clock();
      dispatch(core.start(now), now);
      transport.start();
      for (const p of toReplay.splice(0)) {
        const replies = p.sends.map((x) => msgIdOf(x.body));
        transport.replay(p.sends, () => keepSeen([{ table: "message", key: p.key, atMs: p.atMs }], clock(), replies));
      }
      state = "running";
      rearm();
    },
    async stop(boundMs = 5000) {
      if (stopped) return;
      stopped = true;
      state = "stopping";
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const report = await transport.stop(boundMs);
      if (!report.clean) log.warn({ sendsDropped: report.sendsDropped, inputsLeft: report.inputsLeft }, "stop left work for the next run");
      if (ownsClient) closeSqsClient(client);
      state = "stopped";
      log.info("stopped");
    },
    health() {
      const now = clock();
      const t = transport.state();
      const current: RunnerState =
        state === "running" ? (t === "degraded" ? "degraded" : "running") : state;
      return {
        id: config.id,
        state: current,
        startedAtMs,
        snapshot: core.snapshot(now),
        transport: transport.counters(),
        recentEvents: recentEvents.slice(),
        urlRejected: { ...urlRejected },
        journalErrors: { ...journalErrors },
        ...(opts.seenJournal ? { journalSyncs: syncsOf(opts.seenJournal) } : {}),
      };
    },
    exportState: () => core.exportState(),
  };
}

/** The msg_id of a body this node encoded itself (a stored reply); "" should it not have one. */
function msgIdOf(body: string): string {
  try {
    const id = (JSON.parse(body) as { msg_id?: unknown }).msg_id;
    return typeof id === "string" ? id : "";
  } catch {
    return "";
  }
}

const syncsOf = (j: SeenJournal) => {
  const s = j.syncStats();
  return { count: s.syncs, ms: Math.round(s.ms * 10) / 10 };
};
