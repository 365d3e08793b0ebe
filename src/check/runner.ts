import type { WireRecord } from "../runtime/wire-record.ts";
import { requirements } from "./requirements.ts";
import { stallExcuseMs } from "./stalls.ts";
import { parseTimestampMs } from "../protocol/index.ts";
import type { CaseDef, CheckSession } from "./session.ts";
import type { CaseReport, Evidence, NodeReport, Outcome, Summary, Verdict } from "./types.ts";

/**
 * Runs the cases against one node: the request/response ones one after the
 * other, the long ones side by side from the start, the final ones over
 * everything seen once the others are done. A case that throws is the
 * checker's bug and says so in its verdict; it never takes the others down.
 */

/** Evidence bodies are cut to one line of this many characters. */
export const EVIDENCE_BODY_CHARS = 240;
/** Messages kept per case. */
export const EVIDENCE_MAX = 12;

export function evidenceOf(r: WireRecord): Evidence {
  const oneLine = r.body.replace(/[\u0000-\u001f\u007f]/g, " ");
  return {
    atMs: r.atMs,
    time: new Date(r.atMs).toISOString(),
    type: r.type,
    from: r.from,
    to: r.to,
    msgId: r.msgId,
    body: oneLine.length > EVIDENCE_BODY_CHARS ? oneLine.slice(0, EVIDENCE_BODY_CHARS - 1) + "…" : oneLine,
  };
}

export interface RunOptions {
  quick: boolean;
  /** Called as each case ends, for the progress line. */
  onCase?: (r: CaseReport, done: number, total: number) => void;
}

export function selectCases(all: readonly CaseDef[], quick: boolean): CaseDef[] {
  return all.filter((c) => !quick || (c.phase !== "long" && c.judgesLong !== true));
}

function report(c: CaseDef, o: Outcome, durationMs: number): CaseReport {
  const req = requirements().get(c.requirement);
  const level = req?.level ?? "MUST";
  const verdict: Verdict = o.verdict === "fail" && level === "SHOULD" ? "non-strict" : o.verdict;
  return {
    id: c.id,
    title: c.title,
    area: c.area,
    requirement: c.requirement,
    requirementText: req?.text ?? "(not in docs/protocol.md)",
    level,
    verdict,
    expected: o.expected,
    observed: o.observed,
    ...(o.reason === undefined ? {} : { reason: o.reason }),
    evidence: (o.evidence ?? []).slice(0, EVIDENCE_MAX).map(evidenceOf),
    durationMs,
  };
}

async function runOne(c: CaseDef, s: CheckSession): Promise<CaseReport> {
  const t0 = Date.now();
  const left = s.deadlineMs - t0;
  if (c.needsMs(s.timing) > left && c.phase !== "final") {
    return report(c, { verdict: "skip", expected: "-", observed: "not run", reason: `needs up to ${Math.ceil(c.needsMs(s.timing) / 1000)} s at these timings, ${Math.max(0, Math.floor(left / 1000))} s were left (--time-limit)` }, 0);
  }
  try {
    const o = await c.run(s);
    const excuseMs = stallExcuseMs(s.timing.heartbeatMs);
    const stalled = o.verdict === "fail" && c.phase !== "quick" ? s.stalledMs(t0, Date.now()) : 0;
    if (stalled >= excuseMs) {
      return report(c, { ...o, verdict: "skip", reason: `not judged: the checker's own process stalled ${(stalled / 1000).toFixed(1)} s during this case (an overloaded machine), so the node saw its probes fall silent; run the check again` }, Date.now() - t0);
    }
    const mute = o.verdict === "fail" && c.phase !== "quick" ? longestSilenceMs(s, t0, Date.now()) : 0;
    if (mute >= excuseMs) {
      return report(c, { ...o, verdict: "skip", reason: `not judged: the node sent nothing at all for ${(mute / 1000).toFixed(1)} s during this case, by its own timestamps (its process starved on an overloaded machine?), and timing cases say nothing then; run the check again` }, Date.now() - t0);
    }
    return report(c, withExitNote(o, s, t0), Date.now() - t0);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return report(c, { verdict: "skip", expected: "-", observed: "the case could not run", reason: `checker error: ${detail}` }, Date.now() - t0);
  }
}

/**
 * A failure of a node whose process had ended (--run) says so: the cases after a crash fail on
 * silence, and their own words (no PONG, no CHOKE) would send a student looking for the wrong bug.
 * The verdict stands: a node that is gone does not do what the case asks.
 */
function withExitNote(o: Outcome, s: CheckSession, t0: number): Outcome {
  const ps = o.verdict === "fail" ? s.processState() : null;
  if (!ps || ps.running || ps.exitedAtMs === undefined || o.observed.includes("the node's process")) return o;
  const when = ps.exitedAtMs <= t0 ? "before this case began" : `${((ps.exitedAtMs - t0) / 1000).toFixed(1)} s into this case`;
  return { ...o, observed: `${o.observed} (the node's process had ended ${when}: ${ps.exit ?? "exited"}: this case met a node that was gone)` };
}

/** The longest stretch within [fromMs, toMs] in which the node sent nothing, by its own timestamps. */
function longestSilenceMs(s: CheckSession, fromMs: number, toMs: number): number {
  const sent = s.observer
    .received(s.target)
    .map((x) => parseTimestampMs(x.message.timestamp) ?? x.rec.atMs)
    .filter((t) => t >= fromMs && t <= toMs)
    .sort((a, b) => a - b);
  // Only between messages: before the first and after the last, the node may just have had nothing to say to us.
  let longest = 0;
  for (let i = 1; i < sent.length; i++) longest = Math.max(longest, sent[i]! - sent[i - 1]!);
  return longest;
}

export async function runCases(cases: readonly CaseDef[], s: CheckSession, opts: RunOptions): Promise<CaseReport[]> {
  const results = new Map<string, CaseReport>();
  const total = cases.length;
  const done = (r: CaseReport) => {
    results.set(r.id, r);
    opts.onCase?.(r, results.size, total);
    return r;
  };
  const long = Promise.all(cases.filter((c) => c.phase === "long").map((c) => runOne(c, s).then(done)));
  for (const c of cases.filter((c) => c.phase === "quick")) done(await runOne(c, s));
  await long;
  for (const c of cases.filter((c) => c.phase === "final")) done(await runOne(c, s));
  return cases.map((c) => results.get(c.id)!);
}

export function summarize(cases: readonly CaseReport[]): Summary {
  const n = (v: Verdict) => cases.filter((c) => c.verdict === v).length;
  return { cases: cases.length, passed: n("pass"), failed: n("fail"), nonStrict: n("non-strict"), skipped: n("skip"), info: n("info") };
}

/** pass: at least one case ran to a verdict and no MUST failed. A run that judged nothing never passes. */
export function nodeReport(node: string, cases: CaseReport[]): NodeReport {
  const summary = summarize(cases);
  const judged = summary.passed + summary.failed + summary.nonStrict;
  return { node, verdict: summary.failed === 0 && judged > 0 ? "pass" : "fail", cases, summary };
}
