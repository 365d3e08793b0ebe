import { LIMITS } from "../core/config.ts";
import { DEFAULT_TIMING_MS } from "../core/settings.ts";
import { maxInFlightMs } from "./options.ts";
import type { SimReport, Verdict } from "./report-types.ts";

const s = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

/**
 * The properties every run must keep. Each one judges only what the run
 * gave it a chance to show: a liar cannot be flagged within five minutes of
 * a three-minute run, and a crash shorter than the dead threshold need not
 * be seen dead.
 */
export function judge(r: SimReport): Verdict[] {
  const o = r.options;
  const f = r.figures;
  const hb = DEFAULT_TIMING_MS.heartbeatMs;
  const durationMs = o.minutes * 60_000;
  const v: Verdict[] = [];
  const add = (name: string, ok: boolean, detail: string) => v.push({ name, ok, detail });

  add("core never throws", r.coreFailure === null, r.coreFailure ? `${r.coreFailure.node} at ${s(r.coreFailure.atMs)} in ${r.coreFailure.during}: ${r.coreFailure.error}` : "ok");
  const a = f.anomalies;
  const bad = a.rejected + a.urlRejected + a.unknownPeers + a.misaddressed;
  add("valid traffic is never refused", bad === 0, bad === 0 ? "ok" : `${a.rejected} rejected, ${a.urlRejected} URLs refused, ${a.unknownPeers} unknown peers, ${a.misaddressed} misaddressed`);
  add("events agree with snapshots", a.snapshotMismatches === 0, a.snapshotMismatches === 0 ? "ok" : `${a.snapshotMismatches} differences`);
  add("each (content, epoch) audited once", f.audits.repeated === 0, `${f.audits.repeated} repeated`);

  const rep = f.reputation;
  add("no honest node ever flagged", rep.honestFlagged === 0, rep.honestFlagged === 0 ? "ok" : rep.honestFlaggedExamples.join("; "));

  // Five minutes of a connected fleet: from the start (or the late bootstrap), or from the heal of a partition.
  // After a heal, a peer dead on the far side is pinged only every 6th heartbeat, so it may take that long to be seen again.
  const healedMs = r.faults.partition ? r.faults.partition.toMs + LIMITS.deadPingEveryBeats * hb : 0;
  const flagDeadlineMs = Math.max(o.flagWithinMs + o.bootstrapLateMs, healedMs + o.flagWithinMs);
  if (rep.liars.length > 0 && durationMs >= flagDeadlineMs && r.coreFailure === null) {
    const late = rep.liars.filter((l) => l.observers > 0 && (l.flaggedAllMs === null || l.flaggedAllMs > flagDeadlineMs));
    add(
      `every liar flagged by every honest node within ${s(flagDeadlineMs)}`,
      late.length === 0,
      late.length === 0 ? "ok" : late.map((l) => `${l.id} by ${l.flaggedBy}/${l.observers}, all at ${s(l.flaggedAllMs)}`).join("; "),
    );
  }

  add("discovery converges", f.discovery.convergedMs !== null, `at ${s(f.discovery.convergedMs)}`);

  // After the last fault, a dead peer is pinged every 6th heartbeat: one such round and a margin to see everyone alive again.
  const settleMs = (LIMITS.deadPingEveryBeats + 3) * hb + maxInFlightMs(o);
  const quietFromMs = f.reconverge.faultsEndMs ?? 0;
  if (durationMs - quietFromMs >= settleMs && r.coreFailure === null) {
    add(
      "every live node sees every other alive at the end",
      f.reconverge.convergedAtEnd,
      (f.reconverge.faultsEndMs === null ? (f.reconverge.convergedAtEnd ? "ok" : "not converged") : `reconverged ${s(f.reconverge.reconvergedMs)} after the faults`) +
        (f.reconverge.gapsAtEnd.length > 0 ? `: ${f.reconverge.gapsAtEnd.join("; ")}` : ""),
    );
  }

  // Each observer is held to its own deadline (checkers/failure.ts): the beats of the rule from its first
  // PING after the outage began, or from two of its probe rounds when it sent none.
  const missed: string[] = [];
  for (const out of f.failureDetection.outages) {
    if (out.missedSuspect > 0) missed.push(`${out.kind} of ${out.node}: ${out.missedSuspect}/${out.observers} never saw it suspect`);
    if (out.missedDead > 0) missed.push(`${out.kind} of ${out.node}: ${out.missedDead}/${out.observers} never saw it dead`);
  }
  if (f.failureDetection.outages.length > 0) add("outages are detected", missed.length === 0, missed.length === 0 ? "ok" : missed.join("; "));
  if (o.loss === 0) {
    const fd = f.failureDetection;
    add("no live node falsely suspected", fd.falseSuspicions === 0, fd.falseSuspicions === 0 ? "ok" : `${fd.falseSuspicions}: ${fd.falseExamples.join("; ")}`);
  }
  if (f.audits.honestTotal > 0) {
    const share = f.audits.honestShare ?? 0;
    add(`honest audits agree with the truth (≥ ${o.auditShareMin})`, share >= o.auditShareMin, `${(share * 100).toFixed(2)} % of ${f.audits.honestTotal}`);
  }
  return v;
}
