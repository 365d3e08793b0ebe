import { parseTimestampMs, type Message, type MessageType } from "../../protocol/index.ts";
import type { TimingMs } from "../../core/types.ts";
import type { Observer, Seen } from "../observer.ts";
import type { Probe } from "../probe.ts";
import type { CheckSession } from "../session.ts";
import type { Outcome } from "../types.ts";

/**
 * How long an answer may take: a node polling its queue the notebook's way
 * (a few seconds' wait) answers well within this, even on a machine so
 * loaded that SQS takes seconds to deliver; bounded so a check at slow
 * timings still ends. A node that answers waits only as long as it takes.
 */
export function replyMs(t: TimingMs): number {
  return Math.min(30_000, Math.max(10_000, 2 * t.heartbeatMs));
}

/**
 * How far the node's clock may be from the checker's, for cases that compare
 * the node's timestamps with the times the check's parties sent something.
 * In --run mode both run on one machine; on a network, clocks drift.
 */
export function clockMarginMs(t: TimingMs): number {
  return Math.max(1_000, t.heartbeatMs);
}

/** The wait a case may still afford: `ms`, cut at the session's deadline. */
export function budget(s: CheckSession, ms: number): number {
  return Math.max(0, Math.min(ms, s.deadlineMs - Date.now()));
}

export const outOfTime = (what: string): Outcome => ({
  verdict: "skip",
  expected: what,
  observed: "ran out of time",
  reason: "the time limit ran out before this could be judged (--time-limit)",
});

export type From<T extends MessageType> = Seen & { message: Extract<Message, { type: T }> };

/** The first message of `type` from the target that reached `probe`, matching `pred`, within `ms`. */
export async function replyAt<T extends MessageType>(
  s: CheckSession,
  probe: Probe,
  type: T,
  ms: number,
  pred: (m: Extract<Message, { type: T }>) => boolean = () => true,
  /** Only what arrived at or after this time counts. */
  sinceMs = 0,
): Promise<From<T> | null> {
  const hit = await s.observer.waitFor(
    (x) =>
      x.rec.dir === "in" &&
      x.rec.atMs >= sinceMs &&
      x.rec.observer === probe.id &&
      x.parsed.ok &&
      x.parsed.message.sender === s.target &&
      x.parsed.message.type === type &&
      pred(x.parsed.message as Extract<Message, { type: T }>),
    budget(s, ms),
    s.signal,
  );
  return hit && hit.parsed.ok ? ({ ...hit, message: hit.parsed.message } as From<T>) : null;
}

/**
 * Up to `n` distinct messages (by msg_id: a redelivery is one) of `type` from
 * the target that reached `probe` at or after `sinceMs`, within `ms`:
 * returns as soon as `n` are there.
 */
export async function repliesAt<T extends MessageType>(s: CheckSession, probe: Probe, type: T, n: number, ms: number, sinceMs: number): Promise<Array<From<T>>> {
  const untilMs = Date.now() + ms;
  const ids = new Set<string>();
  const out: Array<From<T>> = [];
  const matches = (x: Seen) =>
    // Within [sinceMs, now + ms] by arrival, even when the timer fires late.
    x.rec.dir === "in" && x.rec.atMs >= sinceMs && x.rec.atMs <= untilMs && x.rec.observer === probe.id && x.parsed.ok && x.parsed.message.sender === s.target && x.parsed.message.type === type;
  const take = (x: Seen) => {
    if (!matches(x) || !x.parsed.ok || ids.has(x.parsed.message.msg_id)) return false;
    ids.add(x.parsed.message.msg_id);
    out.push({ ...x, message: x.parsed.message } as From<T>);
    return out.length >= n;
  };
  // waitFor shows the predicate every record once, past ones first: it counts them, and stops at the n-th.
  await s.observer.waitFor(take, budget(s, untilMs - Date.now()), s.signal);
  return out;
}

/** What a probe sent and what it received from the target since `sinceMs`, for evidence. */
/** Seqs listed in a note on stray PONGs at most. */
const STRAY_SEQS_MAX = 5;

/**
 * The seqs of PONGs the target sent `probeId` since `sinceMs` that no PING of
 * that probe ever carried: a node that answers, but with the wrong seq.
 */
export function strayPongSeqs(observer: Observer, target: string, probeId: string, sinceMs: number): number[] {
  const sent = new Set(observer.all().flatMap((x) => (x.rec.dir === "out" && x.rec.observer === probeId && x.parsed.ok && x.parsed.message.type === "PING" ? [x.parsed.message.seq] : [])));
  return observer.received(target, (x) => x.rec.observer === probeId && x.rec.atMs >= sinceMs && x.message.type === "PONG" && !sent.has(x.message.seq)).map((x) => (x.message as { seq: number }).seq);
}

/**
 * Beside a "no PONG": the PONGs that did come, with seqs no PING carried, so
 * that the messages listed under the case (which show them) do not seem to
 * contradict it. Empty when there were none.
 */
export function strayPongNote(observer: Observer, target: string, probeId: string, sinceMs: number): string {
  const seqs = strayPongSeqs(observer, target, probeId, sinceMs);
  if (seqs.length === 0) return "";
  const shown = seqs.slice(0, STRAY_SEQS_MAX).join(", ") + (seqs.length > STRAY_SEQS_MAX ? `, … (${seqs.length})` : "");
  return `; PONGs came with seq ${shown}, which no PING carried (PING-1: the same seq)`;
}

export function exchange(s: CheckSession, probe: Probe, sinceMs: number, limit = 12): Seen[] {
  return s.observer
    .all()
    .filter(
      (x) =>
        x.rec.atMs >= sinceMs &&
        x.rec.observer === probe.id &&
        ((x.rec.dir === "out" && x.rec.to === s.target) || (x.rec.dir === "in" && x.rec.from === s.target)),
    )
    .slice(0, limit);
}

export const recs = (xs: readonly (Seen | null | undefined)[]) => xs.filter((x): x is Seen => x != null).map((x) => x.rec);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Sleeps `ms` (cut at the deadline), waking early when the check is stopped. */
export function pause(s: CheckSession, ms: number): Promise<void> {
  return s.observer.waitFor(() => false, budget(s, ms), s.signal).then(() => undefined);
}

/** When the node sent a message, by its own timestamp: a queue slow to deliver is not the node's doing. */
export const sentAtMs = (x: Seen): number => (x.parsed.ok ? parseTimestampMs(x.parsed.message.timestamp) : null) ?? x.rec.atMs;

/** Whether the node's message to `to` at `atMs` may answer a HELLO `to` sent it shortly before (a PEER_LIST that is an answer, not gossip). */
export function answersHello(s: CheckSession, to: string, atMs: number): boolean {
  return s.observer.all().some((x) => x.rec.dir === "out" && x.rec.from === to && x.rec.to === s.target && x.rec.type === "HELLO" && x.rec.atMs <= atMs && atMs - x.rec.atMs < replyMs(s.timing));
}

/** The q-quantile (0 to 1) of ascending `sorted`, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * An observation, not a requirement: what the protocol asks beside what the
 * node did. It never fails and never counts toward the verdict.
 */
export const info = (expected: string, observed: string, evidence: Seen[] = []): Outcome => ({ verdict: "info", expected, observed, evidence: evidence.map((x) => x.rec) });

/** The skip of an observation with nothing to observe. */
export const nothingToObserve = (expected: string, observed: string, reason: string): Outcome => ({ verdict: "skip", expected, observed, reason });

/**
 * A probe PINGs the node once per seq (as built, or as the raw body `body`
 * makes), all at once; the PONG of each seq that came within `waitMs`, null
 * where none did.
 */
export async function pingAll(s: CheckSession, probeName: string, pings: ReadonlyArray<{ seq: number; body?: (sender: string, msgId: string) => string }>, waitMs: number) {
  const p = await s.probe(probeName);
  const t0 = Date.now();
  for (const ping of pings) {
    if (ping.body) p.sendRaw(s.target, ping.body(p.id, p.nextMsgId()));
    else p.send(s.target, "PING", { seq: ping.seq });
  }
  const got = await Promise.all(pings.map(({ seq }) => replyAt(s, p, "PONG", waitMs, (m) => m.seq === seq)));
  return { p, t0, got, missing: pings.filter((_, i) => got[i] === null).map((x) => x.seq) };
}
