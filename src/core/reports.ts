import { LIMITS } from "./config.ts";
import { dedupeKey } from "./dedupe.ts";

/** One reporter's latest count for a (content, epoch). */
export interface Report {
  count: number;
  /** The report's own timestamp: the latest one wins, whatever the delivery order. */
  tsMs: number;
}

export interface ReportGroup {
  content_id: string;
  epoch: number;
  /** reporter id -> its latest report. */
  reports: Map<string, Report>;
}

/**
 * Reports awaiting their audit (docs/protocol.md §8), and which (content, epoch)
 * were already audited. Bounded by keys and by total reports; epochs too old
 * to be audited are pruned.
 */
export interface ReportTable {
  groups: Map<string, ReportGroup>;
  /** (content, epoch) keys audited, with their epoch for pruning. */
  audited: Map<string, number>;
  total: number;
}

export type RecordResult = "recorded" | "audited" | "full";

export function createReportTable(): ReportTable {
  return { groups: new Map(), audited: new Map(), total: 0 };
}

export function groupKey(content_id: string, epoch: number): string {
  // Most reports name one of a few contents in the current epoch: the same key string again, whose hash
  // is already known, in place of a number printed, a string joined and hashed for every VIEW_EVENT.
  // Two epochs are kept: around a boundary, reports of the epoch ending and of the one starting come mixed.
  const known = recentKeys.get(content_id);
  if (known !== undefined) {
    if (known.epoch === epoch) return known.key;
    if (known.prevEpoch === epoch) return known.prevKey;
  }
  const key = dedupeKey(content_id, String(epoch));
  if (known !== undefined) {
    known.prevEpoch = known.epoch;
    known.prevKey = known.key;
    known.epoch = epoch;
    known.key = key;
    return key;
  }
  if (recentKeys.size >= RECENT_KEYS_MAX) recentKeys.clear();
  recentKeys.set(content_id, { epoch, key, prevEpoch: NaN, prevKey: "" });
  return key;
}

/** Contents whose latest group key is kept; past it the memo starts over (any content id may arrive). */
const RECENT_KEYS_MAX = 256;
/** The last key made per content: a function of its inputs alone, shared by every node of the thread. */
const recentKeys = new Map<string, { epoch: number; key: string; prevEpoch: number; prevKey: string }>();

export function recordReport(
  t: ReportTable,
  reporter: string,
  content_id: string,
  epoch: number,
  report: Report,
): RecordResult {
  const key = groupKey(content_id, epoch);
  if (t.audited.has(key)) return "audited";
  let group = t.groups.get(key);
  if (!group) {
    if (t.groups.size >= LIMITS.reportKeysMax || t.total >= LIMITS.reportsMax) return "full";
    group = { content_id, epoch, reports: new Map() };
    t.groups.set(key, group);
  }
  const prev = group.reports.get(reporter);
  if (!prev) {
    if (t.total >= LIMITS.reportsMax) return "full";
    t.total++;
  } else if (prev.tsMs > report.tsMs) {
    // An older report delivered late: the reporter's latest stands.
    return "recorded";
  }
  group.reports.set(reporter, report);
  return "recorded";
}

export function markAudited(t: ReportTable, key: string): void {
  const group = t.groups.get(key);
  if (!group) return;
  t.total -= group.reports.size;
  t.groups.delete(key);
  t.audited.set(key, group.epoch);
}

/** Forgets every group and audit mark of an epoch before `minEpoch`. */
export function pruneBefore(t: ReportTable, minEpoch: number): void {
  for (const [key, group] of t.groups) {
    if (group.epoch < minEpoch) {
      t.total -= group.reports.size;
      t.groups.delete(key);
    }
  }
  for (const [key, epoch] of t.audited) if (epoch < minEpoch) t.audited.delete(key);
}
