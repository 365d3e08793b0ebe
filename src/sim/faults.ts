import type { Rng } from "../core/rng.ts";
import type { SimOptions } from "./options.ts";
import type { Member } from "./roster.ts";

/** A span of virtual time, ms from the start of the run: [fromMs, toMs). */
export interface Span {
  fromMs: number;
  toMs: number;
}

export interface CrashPlan extends Span {
  ix: number;
}

export interface PartitionPlan extends Span {
  /** Side of each node: 0 or 1. The bootstrap bots sit on side 0. */
  side: Uint8Array;
}

/**
 * Every fault of a run, drawn up front from the faults stream so that the
 * plan does not depend on what the nodes do. Crashes and silences hit honest
 * nodes that are not bootstrap, so that the reputation and discovery figures
 * keep a fixed cast of liars and a reachable bootstrap.
 */
export interface FaultPlan {
  /** Each node's clock offset, ms (the node sees virtual time + skew). */
  skewMs: Int32Array;
  /** When each node starts, ms from the start of the run. */
  startMs: Float64Array;
  /** Nodes that start late on purpose (the bootstrap with bootstrapLateMs): down until their start, as if crashed. */
  lateUntilMs: Float64Array;
  /** Crash at fromMs, restart at toMs (a restart after the end never happens). */
  crashes: CrashPlan[];
  silences: CrashPlan[];
  partition: PartitionPlan | null;
}

function uniformInt(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** Fisher–Yates on a copy. */
function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function planFaults(rng: Rng, o: SimOptions, members: readonly Member[]): FaultPlan {
  const n = members.length;
  const durationMs = o.minutes * 60_000;
  const skews = rng.fork("skew");
  const starts = rng.fork("start");
  const skewMs = new Int32Array(n);
  const startMs = new Float64Array(n);
  const lateUntilMs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    skewMs[i] = o.skewMaxMs === 0 ? 0 : uniformInt(skews, -o.skewMaxMs, o.skewMaxMs);
    const late = members[i]!.persona === "bot-alpha" ? o.bootstrapLateMs : 0;
    startMs[i] = starts.int(o.startSpreadMs + 1) + late;
    if (late > 0) lateUntilMs[i] = startMs[i]!;
  }

  // The faulty phase is the middle of the run; its last third is left to heal and converge.
  const faultFromMs = Math.floor(durationMs * 0.2);
  const faultToMs = Math.floor(durationMs * 0.45);
  const candidates = members.filter((m) => m.honest && m.persona !== "bot-alpha").map((m) => m.ix);

  const crashRng = rng.fork("crash");
  const crashes = shuffled(crashRng, candidates)
    .slice(0, o.crash)
    .map((ix) => {
      const fromMs = uniformInt(crashRng, faultFromMs, faultToMs);
      return { ix, fromMs, toMs: fromMs + uniformInt(crashRng, o.crashDownMinMs, o.crashDownMaxMs) };
    })
    .sort((a, b) => a.fromMs - b.fromMs || a.ix - b.ix);

  const silenceRng = rng.fork("silence");
  // Silence nodes that do not also crash, so each outage has one cause.
  const crashed = new Set(crashes.map((c) => c.ix));
  const silences = shuffled(silenceRng, candidates.filter((ix) => !crashed.has(ix)))
    .slice(0, o.silence)
    .map((ix) => {
      const fromMs = uniformInt(silenceRng, faultFromMs, faultToMs);
      return { ix, fromMs, toMs: fromMs + o.silenceForMs };
    })
    .sort((a, b) => a.fromMs - b.fromMs || a.ix - b.ix);

  let partition: PartitionPlan | null = null;
  if (o.partition) {
    const partRng = rng.fork("partition");
    const side = new Uint8Array(n);
    const others = shuffled(
      partRng,
      members.filter((m) => m.persona !== "bot-alpha").map((m) => m.ix),
    );
    // Half the fleet, bootstrap bots on side 0, the rest split at random.
    const side1Count = Math.floor(n / 2);
    for (let k = 0; k < side1Count && k < others.length; k++) side[others[k]!] = 1;
    const fromMs = Math.floor(durationMs * 0.25);
    partition = { side, fromMs, toMs: fromMs + o.partitionForMs };
  }
  return { skewMs, startMs, lateUntilMs, crashes, silences, partition };
}

export function inSpan(s: Span, tMs: number): boolean {
  return tMs >= s.fromMs && tMs < s.toMs;
}

export function partitioned(plan: FaultPlan, a: number, b: number, tMs: number): boolean {
  const p = plan.partition;
  return p !== null && tMs >= p.fromMs && tMs < p.toMs && p.side[a] !== p.side[b];
}

/**
 * Whether a suspicion of `peer` by `observer` at `tMs` has a cause: one of
 * them was down or silenced, or the two were partitioned, within the last
 * `lookbackMs`. A suspicion without a cause is false.
 */
export function faultExplains(plan: FaultPlan, observer: number, peer: number, tMs: number, lookbackMs: number): boolean {
  const overlaps = (s: Span) => s.fromMs < tMs && s.toMs > tMs - lookbackMs;
  const lateUntil = (ix: number) => plan.lateUntilMs[ix]!;
  if ((lateUntil(peer) > 0 && lateUntil(peer) > tMs - lookbackMs) || (lateUntil(observer) > 0 && lateUntil(observer) > tMs - lookbackMs)) return true;
  for (const c of plan.crashes) if ((c.ix === observer || c.ix === peer) && overlaps(c)) return true;
  for (const s of plan.silences) if ((s.ix === observer || s.ix === peer) && overlaps(s)) return true;
  const p = plan.partition;
  return p !== null && p.side[observer] !== p.side[peer] && overlaps(p);
}
