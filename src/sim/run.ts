import { defaultNodeConfig, LIMITS } from "../core/config.ts";
import { DEFAULT_NETWORK, DEFAULT_SCALE_BOUNDS, DEFAULT_TIMING_MS } from "../core/settings.ts";
import { createNode } from "../core/node.ts";
import { createRng } from "../core/rng.ts";
import type { PersistedState } from "../core/state.ts";
import type { NodeConfig, NodeCore, NodeEvent, NodeSnapshot, Output } from "../core/types.ts";
import { encode, MESSAGE_TYPES, type Message, type MessageType } from "../protocol/index.ts";
import { Checkers } from "./checkers/index.ts";
import { EventClock } from "./clock.ts";
import { partitioned, planFaults, type FaultPlan } from "./faults.ts";
import { Network, type DropReason } from "./network.ts";
import { maxInFlightMs, SimOptions, type SimOptionsInput } from "./options.ts";
import { judge } from "./properties.ts";
import type { CoreFailure, SimReport } from "./report-types.ts";
import { roster, type Member } from "./roster.ts";
import { Trace } from "./trace.ts";

/*
 * The model, in short:
 * - Each node owns one queue; a message sent to a queue URL arrives after a
 *   delay (fixed part + capped exponential), may be held back (reordering)
 *   or delivered twice (a late redelivery), and is never lost unless `loss`
 *   says so. Every drop and every extra delay is counted under its reason.
 * - A crashed node stops; its queue keeps what arrives and hands it over at
 *   restart. The restarted node is fresh (a new process) or, with
 *   `restart: "persisted"`, starts from the state it exported when it
 *   crashed (what the runtime saves to disk).
 * - A silenced node runs and receives, but everything it sends is lost: a
 *   node whose sends fail. A partition loses every message between the two
 *   sides until it heals: SQS refuses the sends, so nothing is queued.
 * - Each node's clock is off by a fixed skew; it is given its own time.
 */

/** Virtual time of the run's start: a fixed date, so that timestamps and epochs replay. */
export const SIM_EPOCH_START_MS = Date.UTC(2026, 0, 1);
/** Ticks of one node at one instant before the run is declared livelocked. */
export const TICKS_AT_ONE_INSTANT_MAX = 1_000;
/** Core calls of the whole run before it is declared runaway: a node with 500 peers takes about 300 a virtual second. */
export const CALLS_PER_NODE_SECOND_MAX = 1_000;
/** With `wire: "auto"`, fleets up to this size go through encode and parse; larger ones hand objects over (same trace, about twice as fast). */
export const AUTO_JSON_NODES_MAX = 16;
/** Messages in flight at once before the run is declared runaway (a 1,000-node fleet keeps a few million). */
export const IN_FLIGHT_MAX = 50_000_000;

type SimEvent =
  | { k: "start"; ix: number }
  | { k: "tick"; ix: number; gen: number }
  | { k: "deliver"; ix: number; from: number; msg: Message }
  | { k: "crash"; ix: number }
  | { k: "restart"; ix: number }
  | { k: "silence"; ix: number; on: boolean }
  | { k: "probe" };

/** Ways to watch a run from outside, for debugging a seed; they must not change it. */
export interface SimHooks {
  /** Every event of every node, with the node's id and the run time in ms. */
  event?: (node: string, event: NodeEvent, tMs: number) => void;
  /** Every message as it reaches a running node. */
  deliver?: (from: string, to: string, message: Message, tMs: number) => void;
  /** Every message a node sends, before the network decides its fate. */
  send?: (from: string, to: string, message: Message, tMs: number) => void;
}

class SimHalt extends Error {}

/** Trace record kinds: the message types by their index, then the faults. */
const TYPE_CODE = Object.fromEntries(MESSAGE_TYPES.map((t, i) => [t, i])) as Record<MessageType, number>;
const TRACE_CRASH = 100;
const TRACE_RESTART = 101;
const TRACE_SILENCE = 102;
const TRACE_UNSILENCE = 103;

/**
 * Runs one simulated fleet to the end and judges it. Pure in its options:
 * every random choice comes from the seed and time is virtual, so the same
 * options give the same report, trace hash included. `hooks` only watch.
 */
export function simulate(input: SimOptionsInput | SimOptions, hooks: SimHooks = {}): SimReport {
  const o = SimOptions.parse(input);
  const wire: "json" | "object" = o.wire === "auto" ? (o.nodes <= AUTO_JSON_NODES_MAX ? "json" : "object") : o.wire;
  const root = createRng(`sim:${o.seed}`);
  const members = roster(o);
  const n = members.length;
  const ids = members.map((m) => m.id);
  const plan = planFaults(root.fork("faults"), o, members);
  const timing = DEFAULT_TIMING_MS;
  // Epoch boundaries fall at a different phase of the start for every seed.
  const t0 = SIM_EPOCH_START_MS + root.fork("phase").int(timing.epochMs);
  const endMs = t0 + Math.round(o.minutes * 60_000);
  const viewSeed = `sim-${o.seed}`;
  const bootstrap = members.filter((m) => m.persona === "bot-alpha").map((m) => m.id);
  const configs: NodeConfig[] = members.map((m) =>
    defaultNodeConfig(m.id, m.persona, { network: DEFAULT_NETWORK, bootstrap, seed: viewSeed, timing }),
  );

  const clock = new EventClock<SimEvent>(t0);
  const trace = new Trace();
  const lookbackMs = (LIMITS.deadAfterBeats + 2) * timing.heartbeatMs + o.delayJitterMaxMs + o.reorderMaxMs + o.dupLagMaxMs;
  const checkers = new Checkers(members, plan, viewSeed, LIMITS.peersMax, lookbackMs, o.keepAudits, {
    heartbeatMs: timing.heartbeatMs,
    inFlightMs: maxInFlightMs(o),
    scale: DEFAULT_SCALE_BOUNDS,
  });
  const cores: Array<NodeCore | null> = members.map(() => null);
  const lives = new Int32Array(n);
  const saved: Array<PersistedState | undefined> = members.map(() => undefined);
  const silenced = new Uint8Array(n);
  const tickGen = new Int32Array(n);
  const tickAt = new Float64Array(n).fill(Infinity);
  const sameInstantTicks = new Int32Array(n);
  const lastTickMs = new Float64Array(n).fill(-1);
  const sentByType = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])) as Record<MessageType, number>;
  let delivered = 0;
  let calls = 0;
  const callsMax = CALLS_PER_NODE_SECOND_MAX * n * Math.ceil(o.minutes * 60) + 10_000;
  let coreFailure: CoreFailure | null = null;
  const ixOf = new Map(ids.map((id, i) => [id, i]));

  // CHOKE and UNCHOKE not yet received, per (from, to): the end-of-run choke comparison skips those pairs.
  const chokesInFlight = new Map<string, number>();
  const chokeKey = (fromIx: number, toIx: number) => `${ids[fromIx]}>${ids[toIx]}`;
  const isChoke = (m: Message) => m.type === "CHOKE" || m.type === "UNCHOKE";
  const network = new Network(root.fork("network"), o, ids, DEFAULT_NETWORK.prefix, (toIx, fromIx, msg, atMs) => {
    if (isChoke(msg)) chokesInFlight.set(chokeKey(fromIx, toIx), (chokesInFlight.get(chokeKey(fromIx, toIx)) ?? 0) + 1);
    if (atMs >= endMs) return;
    if (clock.size >= IN_FLIGHT_MAX) {
      coreFailure = { node: ids[fromIx]!, atMs: rel(), during: "send", error: `over ${IN_FLIGHT_MAX} messages in flight: runaway` };
      throw new SimHalt();
    }
    clock.at(atMs, { k: "deliver", ix: toIx, from: fromIx, msg });
  });

  const rel = () => clock.nowMs - t0;
  const local = (ix: number) => clock.nowMs + plan.skewMs[ix]!;

  /** One call into a core; what it says goes to the checkers and the network. `what` is named only when the call fails. */
  const call = (ix: number, during: string, fn: (core: NodeCore, nowMs: number) => Output, what?: string): void => {
    const core = cores[ix];
    if (core === null || core === undefined) return;
    if (++calls > callsMax) {
      coreFailure = { node: ids[ix]!, atMs: rel(), during, error: `over ${callsMax} core calls: runaway` };
      throw new SimHalt();
    }
    let out: Output;
    try {
      out = fn(core, local(ix));
    } catch (err) {
      coreFailure = {
        node: ids[ix]!,
        atMs: rel(),
        during: what === undefined ? during : `${during} ${what}`,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      };
      throw new SimHalt();
    }
    const t = rel();
    for (const e of out.events) checkers.event(ix, e, t);
    if (hooks.event) for (const e of out.events) hooks.event(ids[ix]!, e, t);
    for (const s of out.sends) route(ix, s.to, s.queueUrl, s.message);
    schedule(ix);
  };

  const route = (fromIx: number, to: string, queueUrl: string, msg: Message): void => {
    sentByType[msg.type]++;
    hooks.send?.(ids[fromIx]!, to, msg, rel());
    const toIx = network.queueOf(queueUrl);
    if (toIx >= 0 && ixOf.get(to) !== toIx) checkers.misaddressed(fromIx, to, queueUrl);
    if (msg.type === "PING" && toIx >= 0) checkers.pinged(fromIx, toIx, rel());
    const blocked: DropReason | null = silenced[fromIx]
      ? "silenced"
      : toIx >= 0 && partitioned(plan, fromIx, toIx, rel())
        ? "partition"
        : null;
    if (network.send(fromIx, queueUrl, msg, clock.nowMs, blocked) < 0) {
      call(fromIx, "queueMissing", (core, now) => core.queueMissing(to, now));
    }
  };

  /** Arms the node's next tick at its earliest deadline, in virtual time. */
  const schedule = (ix: number): void => {
    const core = cores[ix];
    if (!core) return;
    const deadline = core.nextDeadlineMs();
    if (!Number.isFinite(deadline)) return;
    const atMs = Math.max(clock.nowMs, deadline - plan.skewMs[ix]!);
    if (atMs >= tickAt[ix]!) return;
    tickAt[ix] = atMs;
    clock.at(atMs, { k: "tick", ix, gen: ++tickGen[ix]! });
  };

  const boot = (ix: number, state: PersistedState | undefined): void => {
    const life = lives[ix]!++;
    const rng = root.fork(`node:${ids[ix]}:${life}`);
    try {
      // No node restarts from its remembered keys here (a persisted restart carries its exported state only).
      cores[ix] = createNode(configs[ix]!, rng, local(ix), state, undefined, { reportRemembered: false });
    } catch (err) {
      coreFailure = { node: ids[ix]!, atMs: rel(), during: "createNode", error: String(err) };
      throw new SimHalt();
    }
    tickAt[ix] = Infinity;
    call(ix, "start", (core, now) => core.start(now));
  };

  const handle = (ev: SimEvent): void => {
    switch (ev.k) {
      case "start":
        checkers.started(ev.ix);
        boot(ev.ix, undefined);
        // Messages sent before the node first polled its queue waited there.
        network.unpark(ev.ix, clock.nowMs);
        return;
      case "tick": {
        if (ev.gen !== tickGen[ev.ix] || !cores[ev.ix]) return;
        tickAt[ev.ix] = Infinity;
        if (lastTickMs[ev.ix] === clock.nowMs) {
          if (++sameInstantTicks[ev.ix]! > TICKS_AT_ONE_INSTANT_MAX) {
            coreFailure = { node: ids[ev.ix]!, atMs: rel(), during: "tick", error: "nextDeadlineMs() never moves past now: livelock" };
            throw new SimHalt();
          }
        } else {
          lastTickMs[ev.ix] = clock.nowMs;
          sameInstantTicks[ev.ix] = 0;
        }
        call(ev.ix, "tick", (core, now) => core.tick(now));
        return;
      }
      case "deliver": {
        const msg = ev.msg;
        if (!cores[ev.ix]) {
          network.park(ev.ix, ev.from, msg, clock.nowMs);
          return;
        }
        delivered++;
        if (isChoke(msg)) chokesInFlight.set(chokeKey(ev.from, ev.ix), chokesInFlight.get(chokeKey(ev.from, ev.ix))! - 1);
        trace.add(rel(), ev.from, ev.ix, TYPE_CODE[msg.type], msg.msg_id);
        hooks.deliver?.(ids[ev.from]!, ids[ev.ix]!, msg, rel());
        if (wire === "json") {
          const body = encode(msg);
          call(ev.ix, "receive", (core, now) => core.receive(body, now), msg.type);
        } else {
          call(ev.ix, "handle", (core, now) => core.handle(msg, now), msg.type);
        }
        return;
      }
      case "crash": {
        const core = cores[ev.ix];
        if (!core) return;
        if (o.restart === "persisted") saved[ev.ix] = core.exportState();
        cores[ev.ix] = null;
        tickGen[ev.ix]!++;
        tickAt[ev.ix] = Infinity;
        trace.add(rel(), ev.ix, ev.ix, TRACE_CRASH, "");
        checkers.crashed(ev.ix, rel());
        return;
      }
      case "restart": {
        if (cores[ev.ix]) return;
        trace.add(rel(), ev.ix, ev.ix, TRACE_RESTART, "");
        checkers.restarted(ev.ix, rel(), o.restart === "fresh");
        boot(ev.ix, saved[ev.ix]);
        saved[ev.ix] = undefined;
        const core = cores[ev.ix];
        if (core && o.restart === "persisted") checkers.resync(ev.ix, core.snapshot(local(ev.ix)));
        network.unpark(ev.ix, clock.nowMs);
        return;
      }
      case "silence":
        silenced[ev.ix] = ev.on ? 1 : 0;
        trace.add(rel(), ev.ix, ev.ix, ev.on ? TRACE_SILENCE : TRACE_UNSILENCE, "");
        if (ev.on) checkers.silenced(ev.ix, rel());
        else checkers.unsilenced(ev.ix, rel());
        return;
      case "probe":
        checkers.probe(rel());
        if (clock.nowMs + o.probeMs < endMs) clock.at(clock.nowMs + o.probeMs, ev);
        return;
    }
  };

  for (let ix = 0; ix < n; ix++) clock.at(t0 + plan.startMs[ix]!, { k: "start", ix });
  for (const c of plan.crashes) {
    clock.at(t0 + c.fromMs, { k: "crash", ix: c.ix });
    clock.at(t0 + c.toMs, { k: "restart", ix: c.ix });
  }
  for (const s of plan.silences) {
    clock.at(t0 + s.fromMs, { k: "silence", ix: s.ix, on: true });
    clock.at(t0 + s.toMs, { k: "silence", ix: s.ix, on: false });
  }
  clock.at(t0 + o.probeMs, { k: "probe" });

  try {
    while (clock.peekMs() < endMs) handle(clock.next()!);
  } catch (err) {
    if (!(err instanceof SimHalt)) throw err;
  }

  clock.nowMs = Math.max(clock.nowMs, endMs);
  const snapshots: Array<NodeSnapshot | null> = cores.map((c, ix) => {
    if (!c || coreFailure) return null;
    return c.snapshot(local(ix));
  });
  const figures = checkers.finish(endMs - t0, snapshots, (from, to) => (chokesInFlight.get(`${from}>${to}`) ?? 0) > 0);
  const report: SimReport = {
    options: o,
    wire,
    roster: {
      bootstrap,
      liars: members.filter((m) => !m.honest).map((m) => m.id),
      honest: members.filter((m) => m.honest).length,
    },
    faults: describeFaults(plan, members),
    figures,
    cost: {
      sent: network.sent,
      delivered,
      perNodePerMinute: network.sent / n / o.minutes,
      byType: sentByType,
    },
    network: { dropped: network.dropped, delayed: network.delayed, dropLog: network.dropLog },
    coreFailure,
    traceHash: trace.digest(),
    traceRecords: trace.records,
    verdicts: [],
    ok: true,
  };
  if (o.keepAudits) report.audits = Object.fromEntries(checkers.auditOutcomes);
  report.verdicts = judge(report);
  report.ok = report.verdicts.every((v) => v.ok);
  return report;
}

function describeFaults(plan: FaultPlan, members: readonly Member[]): SimReport["faults"] {
  const p = plan.partition;
  let side1 = 0;
  if (p) for (const s of p.side) side1 += s;
  return {
    crashes: plan.crashes.map((c) => ({ node: members[c.ix]!.id, fromMs: c.fromMs, toMs: c.toMs })),
    silences: plan.silences.map((s) => ({ node: members[s.ix]!.id, fromMs: s.fromMs, toMs: s.toMs })),
    partition: p ? { fromMs: p.fromMs, toMs: p.toMs, sides: [members.length - side1, side1] } : null,
  };
}
