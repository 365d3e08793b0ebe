import type { SimOptionsInput } from "./options.ts";
import { simulate, type SimReport } from "./run.ts";

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
  };
}

/**
 * Runs the same options over many seeds and keeps the failures and the
 * worst figures. `higherIsWorse` is false only for the audit share.
 */
export function sweep(base: SimOptionsInput, seeds: Iterable<number | string>, each?: (r: SimReport) => void): SweepResult {
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
    const r = simulate({ ...base, seed });
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
    each?.(r);
  }
  return res;
}
