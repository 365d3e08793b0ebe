import { z } from "zod";
import { AuditResult, parseTimestampMs, type MessageOf } from "../../protocol/index.ts";
import type { TimingMs } from "../../core/types.ts";
import { epochOf, trueCount } from "../../core/views.ts";
import { OWN_REPORT_WEIGHT } from "../../core/audit.ts";
import { REPUTATION } from "../../core/reputation.ts";
import type { Seen } from "../observer.ts";
import { defineCases, type CaseDef, type CheckSession } from "../session.ts";
import type { Outcome } from "../types.ts";
import { clockMarginMs, outOfTime, pause, replyMs, seconds } from "./util.ts";

/**
 * The node's reports and audits, judged against the view model
 * (docs/protocol.md, the view model and the vote) from what reached the
 * check's parties.
 */

type View = Seen & { message: MessageOf<"VIEW_EVENT"> };
type Audit = Seen & { message: MessageOf<"AUDIT_RESULT"> };

/** Epochs back from an AUDIT_RESULT's timestamp that it may cover: audits run after their epoch, reports older than 4 epochs are gone. */
const AUDIT_EPOCHS_BACK = [1, 2, 3, 4] as const;

export function viewsWindowMs(t: TimingMs): number {
  return 2 * t.epochMs + 2 * t.viewsMs + replyMs(t);
}

export function auditWindowMs(t: TimingMs): number {
  return 3 * t.epochMs + t.auditMs + t.viewsMs + replyMs(t);
}


const tsEpoch = (s: CheckSession, timestamp: string) => epochOf(parseTimestampMs(timestamp) ?? 0, s.timing.epochMs);

function viewsOf(s: CheckSession): View[] {
  return s.observer.received(s.target, (x) => x.message.type === "VIEW_EVENT") as View[];
}

function auditsOf(s: CheckSession): Audit[] {
  return s.observer.received(s.target, (x) => x.message.type === "AUDIT_RESULT") as Audit[];
}

/** An AUDIT_RESULT but for the range of its confidence: the protocol's schema, the confidence any number. */
const AuditAnyConfidence = AuditResult.extend({ confidence: z.number() });

/**
 * The node's AUDIT_RESULTs whose one fault is a confidence outside [0, 1]
 * (a percentage, say): the protocol rejects them, and audit-02 fails them
 * with the value it saw rather than finding nothing to judge.
 */
function auditsOutOfRange(s: CheckSession): Array<{ x: Seen; message: MessageOf<"AUDIT_RESULT"> }> {
  const keys = new Set<string>();
  const out: Array<{ x: Seen; message: MessageOf<"AUDIT_RESULT"> }> = [];
  for (const x of s.observer.bodiesFrom(s.target)) {
    if (x.parsed.ok || x.parsed.type !== "AUDIT_RESULT" || x.parsed.path !== "confidence") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(x.fullBody);
    } catch {
      continue;
    }
    const r = AuditAnyConfidence.safeParse(raw);
    if (!r.success || r.data.sender !== s.target) continue;
    const k = `${x.rec.to}\u0000${r.data.msg_id}`;
    if (keys.has(k)) continue;
    keys.add(k);
    out.push({ x, message: r.data as MessageOf<"AUDIT_RESULT"> });
  }
  return out;
}

/** The newest a report may be and still have been counted in this result: its timestamp, and the margin. */
function cutoffOf(s: CheckSession, a: Audit): number {
  return (parseTimestampMs(a.message.timestamp) ?? 0) + clockMarginMs(s.timing);
}

/**
 * A result's confidence from outside: reputations are the node's own, but
 * each is a beta score with forgetting, so within (1/(W+2), (W+1)/(W+2)),
 * W = 1/(1 - forgetting); the node's own report weighs a fixed amount.
 * Whether a result with dissenting voters may still round to 1.00.
 */
const WEIGHT_MIN = 1 / (1 / (1 - REPUTATION.forgetting) + 2);
export function mayRoundToOne(agreeing: number, dissenting: number, ownAgrees: boolean | null): boolean {
  const a = agreeing + (ownAgrees === true ? OWN_REPORT_WEIGHT : 0);
  const d = dissenting * WEIGHT_MIN + (ownAgrees === false ? OWN_REPORT_WEIGHT : 0);
  return a / (a + d) >= 0.995;
}

/** The epoch an AUDIT_RESULT covers: the one whose true count it agreed on, or null. */
function coveredEpoch(s: CheckSession, a: Audit): number | null {
  const e = tsEpoch(s, a.message.timestamp);
  for (const k of AUDIT_EPOCHS_BACK) if (trueCount(s.seed, a.message.content_id, e - k) === a.message.agreed_count) return e - k;
  return null;
}

interface Report {
  count: number;
  /** The report's own timestamp. */
  ts: number;
  /** When the check's party sent it: it cannot have reached the node earlier. */
  sentMs: number;
}

interface ReportIndex {
  /** (content, epoch) -> reporter -> its reports to the node, as sent. */
  toNode: Map<string, Map<string, Report[]>>;
  /** (content, epoch) -> the counts the node itself reported. */
  byNode: Map<string, Set<number>>;
}

const key = (content: string, epoch: number) => `${content}\u0000${epoch}`;

/**
 * One pass over what was seen, kept while nothing new arrives: the audit
 * cases ask about every voter of every result, and a scan each time would
 * stall the checker's process (and with it the probes) for seconds.
 */
function reportIndex(s: CheckSession): ReportIndex {
  const all = s.observer.all();
  const cached = indexCache.get(s);
  if (cached && cached.size === all.length) return cached.index;
  const index: ReportIndex = { toNode: new Map(), byNode: new Map() };
  for (const x of all) {
    if (!x.parsed.ok || x.parsed.message.type !== "VIEW_EVENT") continue;
    const m = x.parsed.message;
    const k = key(m.content_id, tsEpoch(s, m.timestamp));
    if (x.rec.dir === "out" && x.rec.to === s.target) {
      const group = index.toNode.get(k) ?? new Map<string, Report[]>();
      const list = group.get(m.sender) ?? [];
      list.push({ count: m.count, ts: parseTimestampMs(m.timestamp) ?? 0, sentMs: x.rec.atMs });
      group.set(m.sender, list);
      index.toNode.set(k, group);
    } else if (x.rec.dir === "in" && m.sender === s.target) {
      const counts = index.byNode.get(k) ?? new Set<number>();
      counts.add(m.count);
      index.byNode.set(k, counts);
    }
  }
  indexCache.set(s, { size: all.length, index });
  return index;
}
const indexCache = new WeakMap<CheckSession, { size: number; index: ReportIndex }>();

/**
 * What each reporter of the check's parties told the node of one (content,
 * epoch) in reports sent before `cutoffMs`: the count the node holds for it,
 * or null when it sent several counts and which one the node counted (the
 * latest timestamp of those that had arrived) depends on the queue. Reports sent later cannot be in a
 * result of that time, and a verdict that counted them would depend on the
 * machine's speed.
 */
function reportsTo(s: CheckSession, content: string, epoch: number, cutoffMs: number): Map<string, number | null> {
  const group = reportIndex(s).toNode.get(key(content, epoch));
  const out = new Map<string, number | null>();
  for (const [reporter, list] of group ?? []) {
    const counts = new Set(list.filter((r) => r.sentMs <= cutoffMs).map((r) => r.count));
    if (counts.size > 0) out.set(reporter, counts.size === 1 ? [...counts][0]! : null);
  }
  return out;
}

/** The node's own report for (content, epoch), from what it sent others; undefined when it said several things, as which one it counted is its own. */
function ownReport(s: CheckSession, content: string, epoch: number): number | undefined {
  const counts = reportIndex(s).byNode.get(key(content, epoch));
  return counts?.size === 1 ? [...counts][0] : undefined;
}

/** Each voter's count as the node held it when it sent the result: undefined where the check cannot know it. */
function voterCounts(s: CheckSession, a: Audit, epoch: number): Array<number | undefined> {
  const m = a.message;
  const theirs = reportsTo(s, m.content_id, epoch, cutoffOf(s, a));
  return m.voters.map((v) => (v === s.target ? ownReport(s, m.content_id, epoch) : (theirs.get(v) ?? undefined)));
}

const noAudits = (s: CheckSession): Outcome => ({
  verdict: "skip",
  expected: "AUDIT_RESULTs to judge",
  observed: `no AUDIT_RESULT within ${seconds(auditWindowMs(s.timing))}`,
  reason: "the node sent no AUDIT_RESULT to any party of the check, so its audits cannot be judged",
});

/**
 * Waits until `windowMs` after the start of the check, or the deadline, once
 * for every case that judges that window: what the node sent by then, and the
 * skip to give when it sent nothing and the time limit cut the wait short.
 */
async function afterWindow<T>(s: CheckSession, name: string, windowMs: number, sent: () => T[], what: string): Promise<{ items: T[]; cutShort: Outcome | null }> {
  const whole = await s.scenario(`window:${name}`, async () => {
    const until = s.startedMs + windowMs;
    await pause(s, until - Date.now());
    return Date.now() >= until;
  });
  const items = sent();
  return { items, cutShort: !whole && items.length === 0 ? outOfTime(what) : null };
}

const awaitViews = (s: CheckSession) => afterWindow(s, "views", viewsWindowMs(s.timing), () => viewsOf(s), "VIEW_EVENTs to judge");

/** The node's AUDIT_RESULTs once the audit window is over; `none`: the skip to give when there are none (cut short, or none sent). */
async function awaitAudits(s: CheckSession): Promise<{ audits: Audit[]; cutShort: Outcome | null; none: Outcome | null }> {
  const { items: audits, cutShort } = await afterWindow(s, "audits", auditWindowMs(s.timing), () => auditsOf(s), "AUDIT_RESULTs");
  return { audits, cutShort, none: cutShort ?? (audits.length === 0 ? noAudits(s) : null) };
}

type Judge<T> = Pick<CaseDef, "id" | "title" | "requirement"> & { judge: (s: CheckSession, items: T[]) => Outcome };

/** Cases judged once a window is over: `sent` says what came, or the skip to give instead. */
function windowCase<T>(needsMs: (t: TimingMs) => number, sent: (s: CheckSession) => Promise<{ items: T[]; skip: Outcome | null }>) {
  return (c: Judge<T>): CaseDef => ({
    id: c.id,
    title: c.title,
    area: "views-audits",
    requirement: c.requirement,
    phase: "long",
    needsMs,
    async run(s) {
      const { items, skip } = await sent(s);
      return skip ?? c.judge(s, items);
    },
  });
}

/** Over the node's VIEW_EVENTs (skipped when the time limit cut the window short before any came). */
const viewsCase = windowCase<View>(viewsWindowMs, async (s) => {
  const { items, cutShort } = await awaitViews(s);
  return { items, skip: cutShort };
});

/** Over the node's AUDIT_RESULTs (skipped when there are none). */
const auditsCase = windowCase<Audit>(auditWindowMs, async (s) => {
  const { audits, none } = await awaitAudits(s);
  return { items: audits, skip: none };
});

function listing<T>(bad: T[], fmt: (b: T) => string, n = 5): string {
  return bad.slice(0, n).map(fmt).join("; ") + (bad.length > n ? `; … (${bad.length} in all)` : "");
}

export const viewsAuditsCases = defineCases([
  viewsCase({
    id: "view-01",
    title: "VIEW_EVENT counts follow the view model",
    requirement: "MODEL-4",
    judge(s, views) {
      const byEvent = new Map<string, View>();
      for (const v of views) if (!byEvent.has(v.message.event_id)) byEvent.set(v.message.event_id, v);
      const catalog = new Set(s.content.map((c) => c.content_id));
      const judged = [...byEvent.values()].filter((v) => catalog.has(v.message.content_id));
      const foreign = byEvent.size - judged.length;
      if (judged.length === 0) {
        return { verdict: "skip", expected: "VIEW_EVENTs of the catalog", observed: foreign > 0 ? `${foreign} reports, none of the catalog` : "no VIEW_EVENT", reason: "the node never sent a VIEW_EVENT of the network's catalog, so its accuracy cannot be judged" };
      }
      const wrong = judged.flatMap((v) => {
        const e = tsEpoch(s, v.message.timestamp);
        const truth = trueCount(s.seed, v.message.content_id, e);
        return v.message.count === truth ? [] : [{ v, e, truth }];
      });
      const right = judged.length - wrong.length;
      const share = `${right} of ${judged.length} right (${Math.round((100 * right) / judged.length)}%)`;
      return {
        verdict: wrong.length === 0 ? "pass" : "fail",
        expected: `count = 100 + sha256("${s.seed}:<content>:<epoch of the timestamp>")[0:4] % 900, epoch ${seconds(s.timing.epochMs)}`,
        observed: wrong.length === 0 ? `${share}${foreign ? `; ${foreign} of content outside the catalog` : ""}` : `${share}; wrong: ${listing(wrong, (w) => `${w.v.message.content_id} epoch ${w.e}: ${w.v.message.count}, truth ${w.truth}`)}`,
        evidence: (wrong.length > 0 ? wrong.map((w) => w.v) : judged).slice(0, 10).map((x) => x.rec),
      };
    },
  }),
  viewsCase({
    id: "view-02",
    title: "publishes a VIEW_EVENT for every item of the catalog",
    requirement: "PUB-1",
    judge(s, views) {
      const seen = new Set(views.map((v) => v.message.content_id));
      const missing = s.content.map((c) => c.content_id).filter((c) => !seen.has(c));
      return {
        verdict: missing.length === 0 ? "pass" : "fail",
        expected: `a VIEW_EVENT of each of ${s.content.map((c) => c.content_id).join(", ")} (every ${seconds(s.timing.viewsMs)} to each served peer)`,
        observed: missing.length === 0 ? `all ${s.content.length} items reported` : `never reported: ${missing.join(", ")}`,
        evidence: views.slice(0, s.content.length).map((x) => x.rec),
      };
    },
  }),
  viewsCase({
    id: "view-03",
    title: "all copies of one report carry the same event_id, content and count",
    requirement: "PUB-2",
    judge(_s, views) {
      if (views.length === 0) return { verdict: "skip", expected: "VIEW_EVENTs", observed: "none", reason: "the node never sent a VIEW_EVENT" };
      const first = new Map<string, View>();
      const bad: Array<[View, View]> = [];
      for (const v of views) {
        const f = first.get(v.message.event_id);
        if (!f) first.set(v.message.event_id, v);
        else if (f.message.count !== v.message.count || f.message.content_id !== v.message.content_id) bad.push([f, v]);
      }
      return {
        verdict: bad.length === 0 ? "pass" : "fail",
        expected: "one event_id, one content item and one count for every copy of a round's report",
        observed: bad.length === 0 ? `${first.size} reports, ${views.length} copies, all consistent` : listing(bad, ([a, b]) => `${a.message.event_id}: ${a.message.content_id}=${a.message.count} to ${a.rec.to}, ${b.message.content_id}=${b.message.count} to ${b.rec.to}`),
        evidence: bad.flat().slice(0, 10).map((x) => x.rec),
      };
    },
  }),
  auditsCase({
    id: "audit-01",
    title: "AUDIT_RESULT agrees on the true count while honest reporters hold the majority",
    requirement: "VOTE-4",
    judge(s, all) {
      const audits = all.filter((a) => s.content.some((c) => c.content_id === a.message.content_id));
      if (audits.length === 0) return noAudits(s);
      // A wrong result counts against the node only where honest reporters held the majority of its voters,
      // in every epoch it may cover: with most voters lying, the vote may rightly go their way.
      let minority = 0;
      const wrong = audits.filter((a) => {
        if (coveredEpoch(s, a) !== null) return false;
        const e = tsEpoch(s, a.message.timestamp);
        // The epochs it may cover: those most of its voters are seen to have reported.
        const candidates = AUDIT_EPOCHS_BACK.map((k) => {
          const truth = trueCount(s.seed, a.message.content_id, e - k);
          const counts = voterCounts(s, a, e - k);
          return { known: counts.filter((c) => c !== undefined).length, honest: counts.filter((c) => c === truth).length };
        }).filter((c) => 2 * c.known > a.message.voters.length);
        const honestMajority = candidates.length > 0 && candidates.every((c) => 2 * c.honest > a.message.voters.length);
        if (!honestMajority) minority++;
        return honestMajority;
      });
      return {
        verdict: wrong.length === 0 ? "pass" : "fail",
        expected: `agreed_count = the true count of the epoch audited (1 to 4 epochs before the result's timestamp) wherever honest reporters are most of its voters${s.mode === "network" ? " (reports of nodes outside the check are not seen: such results are judged only when the check's own honest parties are the majority)" : ""}`,
        observed: wrong.length === 0 ? `${audits.length} results, ${audits.length - minority} the truth${minority ? `, ${minority} not judged (honest reporters were not most of the voters)` : ""}` : `${wrong.length} of ${audits.length} wrong: ${listing(wrong, (a) => { const e = tsEpoch(s, a.message.timestamp); return `${a.message.content_id} agreed ${a.message.agreed_count}, truth ${AUDIT_EPOCHS_BACK.map((k) => trueCount(s.seed, a.message.content_id, e - k)).join("/")}`; })}`,
        evidence: (wrong.length > 0 ? wrong : audits).slice(0, 8).map((x) => x.rec),
      };
    },
  }),
  {
    id: "audit-02",
    title: "AUDIT_RESULT confidence is in [0, 1], to 2 decimals, and matches the reports",
    area: "views-audits",
    requirement: "VOTE-5",
    phase: "long",
    needsMs: auditWindowMs,
    async run(s) {
      const { audits, cutShort } = await awaitAudits(s);
      if (cutShort) return cutShort;
      const outOfRange = auditsOutOfRange(s);
      if (audits.length === 0 && outOfRange.length === 0) return noAudits(s);
      const bad: Array<{ rec: Seen["rec"]; why: string }> = outOfRange.map(({ x, message }) => ({ rec: x.rec, why: `${message.content_id}: confidence ${message.confidence}, outside [0, 1]` }));
      let judged = 0;
      let unsure = 0;
      for (const a of audits) {
        const m = a.message;
        if (Math.abs(m.confidence * 100 - Math.round(m.confidence * 100)) > 1e-9) {
          bad.push({ rec: a.rec, why: `${m.content_id}: confidence ${m.confidence}, not rounded to 2 decimals` });
          continue;
        }
        const e = coveredEpoch(s, a);
        if (e === null) continue;
        const counts = voterCounts(s, a, e);
        if (counts.some((c) => c === undefined)) {
          unsure++;
          continue;
        }
        const unanimous = counts.every((c) => c === m.agreed_count);
        const own = m.voters.includes(s.target) ? counts[m.voters.indexOf(s.target)] === m.agreed_count : null;
        const others = counts.filter((_, i) => m.voters[i] !== s.target);
        const agreeing = others.filter((c) => c === m.agreed_count).length;
        if (!unanimous && mayRoundToOne(agreeing, others.length - agreeing, own)) {
          unsure++;
          continue;
        }
        judged++;
        if (unanimous && m.confidence !== 1) bad.push({ rec: a.rec, why: `${m.content_id}: every voter reported ${m.agreed_count} before the result, confidence ${m.confidence} (expected 1)` });
        if (!unanimous && m.confidence >= 1) bad.push({ rec: a.rec, why: `${m.content_id}: voters reported ${counts.join(", ")} before the result, confidence ${m.confidence} (expected below 1)` });
      }
      const inRange = audits.length;
      if (bad.length === 0 && judged === 0) return { verdict: "skip", expected: "results whose voters' reports are known", observed: `${inRange} results, none with every voter's report known`, reason: `the check could not tell for any result what every voter had reported before it was sent (${unsure} results with a voter outside the check, one that sent several counts, or a report sent too close to the result)` };
      return {
        verdict: bad.length === 0 ? "pass" : "fail",
        expected: "confidence in [0, 1], to 2 decimals: 1 when every voter reported the agreed count before the result, below 1 otherwise",
        observed: bad.length === 0 ? `${inRange} results in range; ${judged} checked against the reports their voters sent before them${unsure ? `, ${unsure} not (a voter's count unknown, or a margin so small it may round to 1)` : ""}` : listing(bad, (b) => b.why),
        evidence: bad.slice(0, 8).map((b) => b.rec),
      };
    },
  },
  auditsCase({
    id: "audit-03",
    title: "AUDIT_RESULT voters really reported, each once",
    requirement: "VOTE-2",
    judge(s, audits) {
      const bad: Array<{ a: Audit; why: string }> = [];
      let unverifiable = 0;
      for (const a of audits) {
        const m = a.message;
        const dup = m.voters.find((v, i) => m.voters.indexOf(v) !== i);
        if (dup) bad.push({ a, why: `${dup} counted twice` });
        const e = coveredEpoch(s, a);
        const epochs = e === null ? AUDIT_EPOCHS_BACK.map((k) => tsEpoch(s, m.timestamp) - k) : [e];
        for (const v of m.voters) {
          if (v === s.target) continue;
          if (!s.ours.has(v)) {
            unverifiable++;
            continue;
          }
          if (!epochs.some((ep) => reportsTo(s, m.content_id, ep, cutoffOf(s, a)).has(v))) bad.push({ a, why: `${v} sent no report of ${m.content_id} for that epoch before the result` });
        }
      }
      return {
        verdict: bad.length === 0 ? "pass" : "fail",
        expected: "voters = the distinct reporters counted, each of whom sent a report of that content and epoch",
        observed: bad.length === 0 ? `${audits.length} results, every voter the check knows reported${unverifiable ? ` (${unverifiable} votes of nodes outside the check not verifiable)` : ""}` : listing(bad, (b) => `${b.a.message.content_id}: ${b.why}`),
        evidence: bad.slice(0, 8).map((b) => b.a.rec),
      };
    },
  }),
  auditsCase({
    id: "audit-04",
    title: "each (content, epoch) is audited once",
    requirement: "VOTE-1",
    judge(s, audits) {
      const first = new Map<string, Audit>();
      const bad: Array<[Audit, Audit]> = [];
      for (const a of audits) {
        const e = coveredEpoch(s, a);
        const key = `${a.rec.to}\u0000${a.message.content_id}\u0000${e ?? `count ${a.message.agreed_count}`}`;
        const f = first.get(key);
        if (f) bad.push([f, a]);
        else first.set(key, a);
      }
      return {
        verdict: bad.length === 0 ? "pass" : "fail",
        expected: "one AUDIT_RESULT per receiver for each (content, epoch)",
        observed: bad.length === 0 ? `${audits.length} results, no (content, epoch) twice` : listing(bad, ([x, y]) => `${x.message.content_id} agreed ${x.message.agreed_count} sent to ${x.rec.to} at ${x.message.timestamp} and again at ${y.message.timestamp}`),
        evidence: bad.flat().slice(0, 8).map((x) => x.rec),
      };
    },
  }),
]);
