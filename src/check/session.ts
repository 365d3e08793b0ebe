import type { SqsClient } from "../sqs/client.ts";
import type { ContentItem, TimingMs } from "../core/types.ts";
import type { NetworkId } from "../protocol/index.ts";
import type { SqsOptions } from "../sqs/client.ts";
import type { Observer } from "./observer.ts";
import type { Probe } from "./probe.ts";
import type { Area, Outcome } from "./types.ts";

/**
 * What a case works with: the network's settings, the observer, probes of
 * its own, and shared scenarios (one free rider serves the choke, unchoke,
 * optimistic and choked-PING cases alike).
 */
export interface CheckSession {
  target: string;
  mode: "run" | "network";
  net: NetworkId;
  sqs: SqsOptions;
  client: SqsClient;
  timing: TimingMs;
  seed: string;
  content: ContentItem[];
  observer: Observer;
  /** When the check started, ms. */
  startedMs: number;
  /** Past this, waiting cases give up and skip. */
  deadlineMs: number;
  /** Ids of the parties the checker runs (probes, and the bots in --run mode): not the target. */
  ours: Set<string>;
  /** A probe named `<probe-prefix>-<name>`, started on first use. */
  probe(name: string): Promise<Probe>;
  /** Runs `fn` once per name; every case asking for it shares the result. */
  scenario<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** In --run mode: whether the node's process is still running and how often it was started; null elsewhere. */
  processState(): { running: boolean; starts: number; exit?: string; exitedAtMs?: number } | null;
  signal: AbortSignal;
  /** The longest pause of the checker's own process within [fromMs, toMs]. */
  stalledMs(fromMs: number, toMs: number): number;
}

export interface CaseDef {
  /** Stable: autograders and docs/protocol.md refer to it. */
  id: string;
  title: string;
  area: Area;
  /** A requirement id of docs/protocol.md; its text and level come from there. */
  requirement: string;
  /**
   * quick: request and response, run one after the other, part of --quick;
   * long: waits on the node's own timers, all run side by side from the start;
   * final: judges everything observed, once the others are done.
   */
  phase: "quick" | "long" | "final";
  /**
   * A final case that judges what only the long cases bring about (chokes):
   * left out of --quick, where it could only be skipped.
   */
  judgesLong?: true;
  /** An observation, not a requirement: its verdict is info (skip when there is nothing to observe), never pass or fail. */
  observation?: true;
  /** Longest it may wait at these timings, ms (a case that cannot fit the time left skips). */
  needsMs(t: TimingMs): number;
  run(s: CheckSession): Promise<Outcome>;
}

export function defineCases(cases: CaseDef[]): CaseDef[] {
  return cases;
}
