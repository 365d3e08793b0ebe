import type { MessageType } from "../protocol/index.ts";
import type { CheckFigures } from "./checkers/figures.ts";
import type { DelayReason, DropReason, DropRecord } from "./network.ts";
import type { SimOptions } from "./options.ts";

/**
 * What a run gives back: run.ts makes it, properties.ts judges it, report.ts
 * prints it. Its shape lives apart so that the judge, which the run calls,
 * does not import the run back for it.
 */

/** One judged property of a run. */
export interface Verdict {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CoreFailure {
  node: string;
  atMs: number;
  during: string;
  error: string;
}

export interface SimReport {
  options: SimOptions;
  wire: "json" | "object";
  roster: { bootstrap: string[]; liars: string[]; honest: number };
  faults: {
    crashes: Array<{ node: string; fromMs: number; toMs: number }>;
    silences: Array<{ node: string; fromMs: number; toMs: number }>;
    partition: { fromMs: number; toMs: number; sides: [number, number] } | null;
  };
  figures: CheckFigures;
  cost: {
    sent: number;
    delivered: number;
    perNodePerMinute: number;
    byType: Record<MessageType, number>;
  };
  network: { dropped: Record<DropReason, number>; delayed: Record<DelayReason, number>; dropLog: DropRecord[] };
  coreFailure: CoreFailure | null;
  traceHash: string;
  traceRecords: number;
  /** Per (node|content|epoch): the agreed count; only with keepAudits. */
  audits?: Record<string, number>;
  verdicts: Verdict[];
  ok: boolean;
}
