import { z } from "zod";
import type { TimingMs } from "../core/types.ts";
import type { WireRecord } from "../runtime/wire-record.ts";

/**
 * The shapes of a check: a case's verdict and the report every output
 * (terminal, --json, --junit, --html) is written from. The zod schemas are
 * the one source; the types are inferred from them.
 */

export const AREAS = [
  "discovery",
  "liveness",
  "transport",
  "sends",
  "views-audits",
  "reputation-choking",
  "failure",
] as const;
export type Area = (typeof AREAS)[number];

export const AREA_TITLES: Record<Area, string> = {
  discovery: "Discovery",
  liveness: "Liveness",
  transport: "Transport realities",
  sends: "What it sends",
  "views-audits": "Views and audits",
  "reputation-choking": "Reputation and choking",
  failure: "Failure detection",
};

export const Level = z.enum(["MUST", "SHOULD"]);
export type Level = z.infer<typeof Level>;

/** non-strict: a SHOULD that was broken. */
export const Verdict = z.enum(["pass", "fail", "non-strict", "skip", "info"]);
export type Verdict = z.infer<typeof Verdict>;

/** One message of a case's evidence, cut to a line. */
export const Evidence = z.object({
  atMs: z.number(),
  time: z.string(),
  type: z.string(),
  from: z.string(),
  to: z.string(),
  msgId: z.string(),
  body: z.string(),
});
export type Evidence = z.infer<typeof Evidence>;

export const CaseReport = z.object({
  id: z.string(),
  title: z.string(),
  area: z.enum(AREAS),
  requirement: z.string(),
  requirementText: z.string(),
  level: Level,
  verdict: Verdict,
  expected: z.string(),
  observed: z.string(),
  /** Why a case was skipped, or the detail of an info. */
  reason: z.string().optional(),
  evidence: z.array(Evidence),
  durationMs: z.number(),
});
export type CaseReport = z.infer<typeof CaseReport>;

export const Summary = z.object({
  cases: z.number(),
  passed: z.number(),
  failed: z.number(),
  nonStrict: z.number(),
  skipped: z.number(),
  info: z.number(),
});
export type Summary = z.infer<typeof Summary>;

export const NodeReport = z.object({
  node: z.string(),
  /** pass: every MUST that ran passed and at least one case ran; fail otherwise. */
  verdict: z.enum(["pass", "fail"]),
  cases: z.array(CaseReport),
  summary: Summary,
});
export type NodeReport = z.infer<typeof NodeReport>;

export const CheckReport = NodeReport.extend({
  /** With several nodes (`fleet check a b`, `--all`): one report each; the top level is the first node's. */
  nodes: z.array(NodeReport),
  mode: z.enum(["run", "network"]),
  quick: z.boolean(),
  seed: z.string(),
  timings: z.object({
    heartbeatS: z.number(),
    gossipS: z.number(),
    viewsS: z.number(),
    auditS: z.number(),
    epochS: z.number(),
    rechokeS: z.number(),
    optimisticS: z.number(),
  }),
  startedAt: z.string(),
  durationMs: z.number(),
  timeLimitS: z.number(),
  /** The longest pause of the checker's own process during the run, ms: past 4 heartbeats, failures in it are not judged. */
  longestStallMs: z.number(),
});
export type CheckReport = z.infer<typeof CheckReport>;

/** What a case's run returns; level and requirement text come from docs/protocol.md. */
export interface Outcome {
  verdict: "pass" | "fail" | "skip" | "info";
  expected: string;
  observed: string;
  reason?: string;
  evidence?: WireRecord[];
}

export type { TimingMs, WireRecord };
