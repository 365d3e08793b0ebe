import { parse, queueUrlOf, type Message } from "../protocol/index.ts";
import { runAudits } from "./audit.ts";
import { DEFAULT_SCALE_BOUNDS } from "./settings.ts";
import { createPartnerSet } from "./partners.ts";
import { createProbeRound } from "./probe.ts";
import { rechoke } from "./choke.ts";
import { LIMITS, personaAccuracy } from "./config.ts";
import { drop, emit, emptyNodeCounters, type Ctx } from "./context.ts";
import { createDedupe } from "./dedupe.ts";
import { runGossip } from "./gossip.ts";
import { handleMessage } from "./handlers.ts";
import { runHeartbeat } from "./heartbeat.ts";
import { retryJoin, startJoin } from "./join.ts";
import { createReportTable } from "./reports.ts";
import type { Rng } from "./rng.ts";
import { createSenderTable, recordReceived } from "./senders.ts";
import { snapshotOf } from "./snapshot.ts";
import { exportState, restoreState, type PersistedState } from "./state.ts";
import { alignedAfter, arm, createTimers, dueTasks, nextDeadline, rearm, type Task } from "./timers.ts";
import type { NodeConfig, NodeCore, Output, Remembered } from "./types.ts";
import { publishViews } from "./views.ts";

/** The tasks of docs/protocol.md §6 with their period from the config. */
function periodOf(ctx: Ctx, task: Task): number {
  const t = ctx.config.timing;
  switch (task) {
    case "join":
      return Infinity; // re-armed by the join itself, with its backoff
    case "heartbeat":
      return t.heartbeatMs;
    case "rechoke":
      return t.rechokeMs;
    case "optimistic":
      return t.optimisticMs;
    case "gossip":
      return t.gossipMs;
    case "views":
      return t.viewsMs;
    case "audit":
      return t.auditMs;
  }
}

function runTask(ctx: Ctx, task: Task, nowMs: number): void {
  switch (task) {
    case "join":
      return retryJoin(ctx, nowMs);
    case "heartbeat":
      return runHeartbeat(ctx, nowMs);
    case "rechoke":
      return rechoke(ctx, nowMs, false);
    case "optimistic":
      return rechoke(ctx, nowMs, true);
    case "gossip":
      return runGossip(ctx, nowMs);
    case "views":
      return publishViews(ctx, nowMs);
    case "audit":
      return runAudits(ctx, nowMs);
  }
}

/** How a node reports itself to the code that runs it. */
export interface CoreOptions {
  /**
   * List the dedupe keys each call remembers in `Output.remembered` (default
   * true): a runtime keeps them across restarts. The simulator restarts no
   * node from them and leaves them out, a few allocations per message.
   */
  reportRemembered?: boolean;
}

/**
 * One node as a pure state machine. `rng` supplies every random choice and
 * `nowMs` is the creation time; `state`, when given, is what a previous run
 * exported (checked, and ignored if it does not parse).
 */
export function createNode(
  config: NodeConfig,
  rng: Rng,
  nowMs: number,
  state?: PersistedState,
  seen?: Iterable<Remembered>,
  options: CoreOptions = {},
): NodeCore {
  const ctx: Ctx = {
    config,
    accuracy: config.accuracy ?? personaAccuracy(config.persona),
    rng,
    viewRng: rng.fork("views"),
    viewDraws: [],
    selfUrl: queueUrlOf(config.network, config.id),
    peers: new Map(),
    peerSlots: [],
    slotLive: new Uint8Array(LIMITS.peersMax),
    slotEntries: [],
    deadPeers: 0,
    reputations: new Map(),
    seen: createDedupe(LIMITS.dedupeMax, LIMITS.dedupeWindowMs),
    seenEvents: createDedupe(LIMITS.dedupeMax, LIMITS.dedupeWindowMs),
    reports: createReportTable(),
    audits: [],
    peerAudits: [],
    counters: emptyNodeCounters(),
    senders: createSenderTable(LIMITS.peersMax),
    timers: createTimers(),
    seq: 0,
    startedMs: nowMs,
    join: { done: false, attempts: 0 },
    optimisticPeer: null,
    scale: config.scale ?? DEFAULT_SCALE_BOUNDS,
    partners: createPartnerSet(),
    probe: createProbeRound(),
    probingAll: true,
    rumours: new Map(),
    incarnation: 0,
    out: { sends: [], events: [] },
    reportRemembered: options.reportRemembered ?? true,
  };
  if (state !== undefined) restoreState(ctx, state, nowMs);
  // What a previous run handled, in time order: a redelivered message or a vote sent again is a repeat.
  for (const r of seen ?? []) (r.table === "message" ? ctx.seen : ctx.seenEvents).add(r.key, r.atMs);

  /** Runs one entry point with a fresh output. */
  const run = (fn: () => void): Output => {
    // One fresh output per call; the caller owns it once returned, and the next call starts another.
    const out: Output = { sends: [], events: [] };
    ctx.out = out;
    fn();
    return out;
  };

  return {
    id: config.id,
    persona: config.persona,
    start: (now) =>
      run(() => {
        if (ctx.timers.size > 0) return; // started already
        ctx.startedMs = now;
        const t = config.timing;
        for (const [task, period] of [
          ["heartbeat", t.heartbeatMs],
          ["rechoke", t.rechokeMs],
          ["optimistic", t.optimisticMs],
          ["gossip", t.gossipMs],
          ["views", t.viewsMs],
          ["audit", t.auditMs],
        ] as const) {
          arm(ctx.timers, task, alignedAfter(now, period));
        }
        startJoin(ctx, now);
      }),
    receive: (body, now) =>
      run(() => {
        const r = parse(body);
        if (r.ok) {
          ctx.out.received = { sender: r.message.sender, type: r.message.type, msgId: r.message.msg_id };
          recordReceived(ctx, r.message.sender, r.message.type, now);
          return handleMessage(ctx, r.message, now);
        }
        ctx.out.received = { sender: r.sender ?? "?", type: r.type ?? "?", msgId: "" };
        ctx.counters.rejected[r.reason] = (ctx.counters.rejected[r.reason] ?? 0) + 1;
        if (r.sender !== config.id) ctx.senders.rejected(r, body, now);
        emit(ctx, {
          type: "rejected",
          reason: r.reason,
          detail: r.detail,
          ...(r.path === undefined ? {} : { path: r.path }),
          ...(r.sender === undefined ? {} : { sender: r.sender }),
        });
      }),
    handle: (message: Message, now) =>
      run(() => {
        recordReceived(ctx, message.sender, message.type, now);
        handleMessage(ctx, message, now);
      }),
    tick: (now) =>
      run(() => {
        for (const task of dueTasks(ctx.timers, now)) {
          runTask(ctx, task, now);
          // The join task re-arms or disarms itself.
          if (task !== "join") rearm(ctx.timers, task, periodOf(ctx, task), now);
        }
      }),
    nextDeadlineMs: () => nextDeadline(ctx.timers),
    queueMissing: (peer, _now) => run(() => drop(ctx, "queue_missing", 1, peer)),
    forget(remembered) {
      for (const r of remembered) if (r.table === "message") ctx.seen.delete(r.key);
    },
    snapshot: (now) => snapshotOf(ctx, now),
    exportState: () => exportState(ctx),
  };
}
