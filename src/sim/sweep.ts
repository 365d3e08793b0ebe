import type { SimOptionsInput } from "./options.ts";
import { simulate } from "./run.ts";
import type { SimReport } from "./report-types.ts";

export interface SweepFailure {
  seed: string;
  failed: string[];
}

/** The worst of each figure over the seeds of a sweep, and the seed it came from. */
export interface Worst {
  value: number | null;
  seed: string | null;
}

export interface SweepResult {
  runs: number;
  failures: SweepFailure[];
  worst: {
    discoveryMs: Worst;
    liarFlaggedAllMs: Worst;
    suspectAllMs: Worst;
    deadAllMs: Worst;
    reconvergeMs: Worst;
    honestAuditShare: Worst;
    messagesPerNodePerMinute: Worst;
    falseSuspicions: Worst;
    honestFlagged: Worst;
    chokedHonestPairsAtEnd: Worst;
    chokeViewsDisagreeing: Worst;
  };
}

/**
 * Runs the same options (or options drawn from each seed) over many seeds
 * and keeps the failures and the worst figures.
 */
export function sweep(
  base: SimOptionsInput | ((seed: number | string) => SimOptionsInput),
  seeds: Iterable<number | string>,
  each?: (r: SimReport) => void,
): SweepResult {
  const none = (): Worst => ({ value: null, seed: null });
  const res: SweepResult = {
    runs: 0,
    failures: [],
    worst: {
      discoveryMs: none(),
      liarFlaggedAllMs: none(),
      suspectAllMs: none(),
      deadAllMs: none(),
      reconvergeMs: none(),
      honestAuditShare: none(),
      messagesPerNodePerMinute: none(),
      falseSuspicions: none(),
      honestFlagged: none(),
      chokedHonestPairsAtEnd: none(),
      chokeViewsDisagreeing: none(),
    },
  };
  const note = (w: Worst, value: number | null | undefined, seed: string, higherIsWorse = true) => {
    if (value === null || value === undefined) return;
    if (w.value === null || (higherIsWorse ? value > w.value : value < w.value)) {
      w.value = value;
      w.seed = seed;
    }
  };
  for (const seed of seeds) {
    const r = simulate(typeof base === "function" ? { ...base(seed), seed } : { ...base, seed });
    res.runs++;
    const s = r.options.seed;
    if (!r.ok) res.failures.push({ seed: s, failed: r.verdicts.filter((v) => !v.ok).map((v) => `${v.name}: ${v.detail}`) });
    const f = r.figures;
    const w = res.worst;
    note(w.discoveryMs, f.discovery.convergedMs ?? Infinity, s);
    for (const l of f.reputation.liars) note(w.liarFlaggedAllMs, l.flaggedAllMs ?? Infinity, s);
    for (const o of f.failureDetection.outages) {
      note(w.suspectAllMs, o.suspectAllMs, s);
      note(w.deadAllMs, o.deadAllMs, s);
    }
    if (f.reconverge.faultsEndMs !== null) note(w.reconvergeMs, f.reconverge.reconvergedMs ?? Infinity, s);
    note(w.honestAuditShare, f.audits.honestShare, s, false);
    note(w.messagesPerNodePerMinute, r.cost.perNodePerMinute, s);
    note(w.falseSuspicions, f.failureDetection.falseSuspicions, s);
    note(w.honestFlagged, f.reputation.honestFlagged, s);
    note(w.chokedHonestPairsAtEnd, f.chokedHonestPairsAtEnd, s);
    note(w.chokeViewsDisagreeing, f.chokeViewsDisagreeing, s);
    each?.(r);
  }
  return res;
}

/** The worst figures as (figure, value, seed) rows. */
export function formatSweep(r: SweepResult): string {
  const sec = (v: number | null) => (v === null ? "n/a" : Number.isFinite(v) ? `${(v / 1000).toFixed(1)} s` : "never");
  const w = r.worst;
  const rows: Array<[string, string, string | null]> = [
    ["runs", String(r.runs), null],
    ["failed runs", String(r.failures.length), r.failures.map((f) => f.seed).join(",") || null],
    ["slowest discovery", sec(w.discoveryMs.value), w.discoveryMs.seed],
    ["slowest liar flagged by every honest node", sec(w.liarFlaggedAllMs.value), w.liarFlaggedAllMs.seed],
    ["slowest outage seen suspect by all", sec(w.suspectAllMs.value), w.suspectAllMs.seed],
    ["slowest outage seen dead by all", sec(w.deadAllMs.value), w.deadAllMs.seed],
    ["slowest reconvergence after faults", sec(w.reconvergeMs.value), w.reconvergeMs.seed],
    ["lowest honest audit share", w.honestAuditShare.value === null ? "n/a" : `${(w.honestAuditShare.value * 100).toFixed(2)} %`, w.honestAuditShare.seed],
    ["most messages per node per minute", w.messagesPerNodePerMinute.value?.toFixed(1) ?? "n/a", w.messagesPerNodePerMinute.seed],
    ["most false suspicions", String(w.falseSuspicions.value ?? "n/a"), w.falseSuspicions.seed],
    ["most honest nodes flagged", String(w.honestFlagged.value ?? "n/a"), w.honestFlagged.seed],
    ["most honest pairs choked at the end", String(w.chokedHonestPairsAtEnd.value ?? "n/a"), w.chokedHonestPairsAtEnd.seed],
    ["most choke views disagreeing at the end", String(w.chokeViewsDisagreeing.value ?? "n/a"), w.chokeViewsDisagreeing.seed],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v, seed]) => `${k.padEnd(width)}  ${v}${seed === null ? "" : `  (seed ${seed})`}`);
  for (const f of r.failures.slice(0, 10)) lines.push(`FAIL seed ${f.seed}: ${f.failed.join("; ")}`);
  return lines.join("\n");
}
