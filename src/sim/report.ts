import type { SimReport } from "./report-types.ts";

export interface Perf {
  wallMs: number;
  /** Resident set size at the end, MiB. */
  rssMiB: number;
  /** Peak resident set size of the process, MiB. */
  maxRssMiB: number;
  heapUsedMiB: number;
}

const sec = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);
const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(2)} %`);

/** The run as rows of (figure, value). */
export function rows(r: SimReport, perf?: Perf): Array<[string, string]> {
  const o = r.options;
  const f = r.figures;
  const out: Array<[string, string]> = [];
  const add = (k: string, v: string) => out.push([k, v]);
  add("seed", o.seed);
  add("fleet", `${o.nodes} nodes: ${r.roster.bootstrap.length} bootstrap, ${r.roster.liars.length} liars, ${r.roster.honest} honest`);
  add("virtual time", `${o.minutes} min`);
  add(
    "faults",
    [
      `dup ${o.dup}`,
      `reorder ${o.reorder}`,
      `loss ${o.loss}`,
      `skew ±${o.skewMaxMs} ms`,
      `${r.faults.crashes.length} crash (${o.restart} restart)`,
      `${r.faults.silences.length} silenced`,
      r.faults.partition ? `partition ${r.faults.partition.sides.join("/")} ${sec(r.faults.partition.fromMs)}–${sec(r.faults.partition.toMs)}` : "no partition",
    ].join(", "),
  );
  add("discovery: every live node knows every other", sec(f.discovery.convergedMs));
  if (f.reconverge.faultsEndMs !== null) {
    add("reconvergence after the last fault ended", `${sec(f.reconverge.reconvergedMs)} (faults ended at ${sec(f.reconverge.faultsEndMs)})`);
  }
  for (const out of f.failureDetection.outages) {
    add(
      `${out.kind} of ${out.node} (${sec(out.toMs - out.fromMs)}): suspect / dead at all ${out.observers}`,
      `${sec(out.suspectAllMs)} / ${sec(out.deadAllMs)}` +
        (out.missedSuspect + out.missedDead > 0 ? ` (missed: ${out.missedSuspect} suspect, ${out.missedDead} dead)` : "") +
        (out.notDueSuspect + out.notDueDead > 0 ? ` (not yet due when it came back: ${out.notDueSuspect} suspect, ${out.notDueDead} dead)` : ""),
    );
  }
  add("false suspicions of live nodes", String(f.failureDetection.falseSuspicions));
  add("audits agreeing with the truth", `${pct(f.audits.share)} of ${f.audits.total} (honest auditors ${pct(f.audits.honestShare)})`);
  if (f.reputation.liars.length > 0) {
    const times = f.reputation.liars.map((l) => l.flaggedAllMs);
    const worst = times.some((t) => t === null) ? null : Math.max(...(times as number[]));
    const best = times.every((t) => t === null) ? null : Math.min(...times.filter((t): t is number => t !== null));
    add("liar flagged by every honest node: first / worst", `${sec(best)} / ${sec(worst)}`);
    const partial = f.reputation.liars.filter((l) => l.flaggedAllMs === null);
    if (partial.length > 0) add("liars not flagged by all", partial.map((l) => `${l.id} ${l.flaggedBy}/${l.observers}`).join(", "));
  }
  if (f.reputation.liars.length > 0) add("liars unflagged again by honest nodes", String(f.reputation.liarUnflags));
  add("honest nodes flagged (by honest / by liars)", `${f.reputation.honestFlagged} / ${f.reputation.honestFlaggedByLiars}`);
  add("honest peers choked by honest nodes at the end", String(f.chokedHonestPairsAtEnd));
  add("choke views disagreeing at the end", String(f.chokeViewsDisagreeing));
  add("messages per node per minute", r.cost.perNodePerMinute.toFixed(1));
  const perType = Object.entries(r.cost.byType)
    .filter(([, c]) => c > 0)
    .map(([t, c]) => `${t} ${(c / o.nodes / o.minutes).toFixed(1)}`)
    .join(", ");
  add("  by type", perType);
  add("messages sent / delivered", `${r.cost.sent} / ${r.cost.delivered}`);
  const dropped = Object.entries(r.network.dropped).filter(([, c]) => c > 0).map(([k, c]) => `${k} ${c}`);
  add("network drops", dropped.length === 0 ? "none" : dropped.join(", "));
  const delayed = Object.entries(r.network.delayed).filter(([, c]) => c > 0).map(([k, c]) => `${k} ${c}`);
  add("network delays", delayed.length === 0 ? "none" : delayed.join(", "));
  const coreDrops = Object.entries(f.drops).map(([k, c]) => `${k} ${c}`);
  if (coreDrops.length > 0) add("dropped by the nodes", coreDrops.join(", "));
  add("duplicates discarded by the nodes", String(f.duplicatesSeen));
  add("wire", r.wire);
  add("trace sha256", `${r.traceHash.slice(0, 16)}… (${r.traceRecords} records)`);
  if (perf) {
    add("wall time", `${(perf.wallMs / 1000).toFixed(2)} s`);
    add("memory", `RSS ${perf.rssMiB.toFixed(0)} MiB (peak ${perf.maxRssMiB.toFixed(0)}), heap ${perf.heapUsedMiB.toFixed(0)} MiB`);
  }
  return out;
}

export function formatTable(r: SimReport, perf?: Perf): string {
  const body = rows(r, perf);
  const width = Math.max(...body.map(([k]) => k.length));
  const lines = body.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push("");
  for (const v of r.verdicts) lines.push(`${v.ok ? "ok  " : "FAIL"}  ${v.name}${v.ok ? "" : `: ${v.detail}`}`);
  if (!r.ok) {
    lines.push("");
    lines.push(`replay: bun src/sim/main.ts ${replayArgs(r)}`);
    if (r.figures.anomalies.examples.length > 0) {
      lines.push("anomalies:");
      for (const e of r.figures.anomalies.examples) lines.push(`  ${e}`);
    }
  }
  return lines.join("\n");
}

/** The command-line flags that replay this run exactly. */
export function replayArgs(r: SimReport): string {
  const o = r.options;
  const args = [`--seed ${o.seed}`, `--nodes ${o.nodes}`, `--minutes ${o.minutes}`, `--liars ${o.liars}`, `--dup ${o.dup}`, `--reorder ${o.reorder}`];
  if (o.loss > 0) args.push(`--loss ${o.loss}`);
  if (o.crash > 0) args.push(`--crash ${o.crash}`, `--restart ${o.restart}`);
  if (o.silence > 0) args.push(`--silence ${o.silence}`);
  if (o.partition) args.push("--partition");
  if (o.bootstraps !== 1) args.push(`--bootstraps ${o.bootstraps}`);
  if (o.bootstrapLateMs > 0) args.push(`--bootstrap-late ${o.bootstrapLateMs}`);
  if (o.wire !== "auto") args.push(`--wire ${o.wire}`);
  args.push(`--skew ${o.skewMaxMs}`);
  return args.join(" ");
}
