import type { TimingMs } from "../core/types.ts";
import type { Observer } from "./observer.ts";
import type { CaseDef } from "./session.ts";

/**
 * What `fleet check` says while it runs: how long it may take at the start,
 * then which cases it still waits on. Pure, so the lines a student reads are
 * tested as tables.
 */

/** Names listed in a progress line at most; the count says how many more. */
export const WAITING_NAMES_MAX = 6;

export interface Plan {
  /** The longest the cases may take: the quick ones one after the other, the long ones side by side. */
  plannedMs: number;
  /** About what a node that answers takes (the longest fixed window of a long case); null when no long case runs. */
  typicalMs: number | null;
}

export function planOf(cases: readonly CaseDef[], t: TimingMs): Plan {
  const quick = cases.filter((c) => c.phase === "quick").map((c) => c.needsMs(t));
  const long = cases.filter((c) => c.phase === "long").map((c) => c.needsMs(t));
  const sum = quick.reduce((a, b) => a + b, 0);
  return { plannedMs: Math.max(sum, ...long), typicalMs: long.length === 0 ? null : Math.max(...long) };
}

export interface StartLineInput {
  targets: readonly string[];
  cases: number;
  quick: boolean;
  heartbeatS: number;
  epochS: number;
  typicalMs: number | null;
  atMostMs: number;
}

export function startLine(i: StartLineInput): string {
  const s = (ms: number) => `${Math.ceil(ms / 1000)} s`;
  // The quick cases wait only for answers: a node that answers ends each one early, so there is no
  // typical figure to give, only the bound.
  const howLong = i.typicalMs === null ? `${s(i.atMostMs)} at most` : `up to ${s(i.typicalMs)} for a node that answers, ${s(i.atMostMs)} at most`;
  return `checking ${i.targets.join(", ")}: ${i.cases} ${i.quick ? "quick cases (request and response)" : "cases"} at heartbeat ${i.heartbeatS} s, epoch ${i.epochS} s; ${howLong}`;
}

/**
 * The cases that wait on the node come first; those that judge the whole run
 * (phase final) only start once the others are done, so they are counted
 * after them rather than listed as if they were the ones holding the check up.
 * `waiting` has one entry per node and case still to end.
 */
export function progressLine(done: number, total: number, elapsedS: number, waiting: readonly Pick<CaseDef, "id" | "phase">[]): string {
  // With several nodes a case waits once per node: each id is named once.
  const running = [...new Set(waiting.filter((c) => c.phase !== "final").map((c) => c.id))];
  const finals = new Set(waiting.filter((c) => c.phase === "final").map((c) => c.id)).size;
  const judging = `${finals} that ${finals === 1 ? "judges" : "judge"} the whole run`;
  const shown = running.slice(0, WAITING_NAMES_MAX).join(", ") + (running.length > WAITING_NAMES_MAX ? `, … (${running.length})` : "");
  const what = running.length === 0 ? `judging the whole run (${finals} cases)` : finals === 0 ? `waiting on ${shown}` : `waiting on ${shown}; then ${judging}`;
  return `  ${done}/${total} cases done, ${elapsedS} s; ${what}`;
}

/** Past this, a node that sent the check's parties nothing is named in the progress (once). */
export function silentAfterMs(heartbeatMs: number): number {
  return Math.max(20_000, 3 * heartbeatMs);
}

/** The targets that have sent no party of the check anything at all, valid or not. */
export function silentTargets(observer: Observer, targets: readonly string[]): string[] {
  return targets.filter((t) => observer.bodiesFrom(t).length === 0);
}

/**
 * A node that is not running fails every case, but only once each has waited
 * its full time; the line says why so early, and what to look at.
 */
export function silenceLine(target: string, elapsedS: number, during: "progress" | "end", mode: "run" | "network"): string {
  // With --run the check started it and its network is gone at the end: the settings are what to look at.
  const why =
    mode === "run"
      ? "does it read the queue of QUEUE_URL through AWS_ENDPOINT_URL_SQS, and send to the queue URLs it is given?"
      : `is it running, and reading its own queue? (bun run fleet peek ${target} shows what waits in it)`;
  return during === "progress"
    ? `  ${target} has sent the check's parties nothing in ${elapsedS} s: ${why}`
    : `${target} sent the check's parties nothing in ${elapsedS} s: ${why}`;
}
