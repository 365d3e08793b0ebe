import type { NodeEvent } from "../../core/types.ts";
import type { CheckFigures } from "./figures.ts";
import type { Tables } from "./tables.ts";

/**
 * Traffic: in a run of valid nodes nothing valid is refused and nothing is
 * misaddressed; drops and duplicates are counted by kind.
 */
export class TrafficChecker {
  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
  ) {}

  misaddressed(fromIx: number, to: string, queueUrl: string): void {
    this.fig.anomalies.misaddressed++;
    this.t.anomaly(`${this.t.idOf(fromIx)} sent to ${to} at ${queueUrl}`);
  }

  event(ix: number, e: Extract<NodeEvent, { type: "rejected" | "url_rejected" | "dropped" | "duplicate" }>, tMs: number): void {
    switch (e.type) {
      case "rejected":
        this.fig.anomalies.rejected++;
        return this.t.anomaly(`${this.t.idOf(ix)} rejected a valid message at ${tMs} ms: ${e.reason} ${e.detail}`);
      case "url_rejected":
        this.fig.anomalies.urlRejected++;
        return this.t.anomaly(`${this.t.idOf(ix)} rejected URL of ${e.peer}: ${e.reason}`);
      case "dropped":
        this.fig.drops[e.what] = (this.fig.drops[e.what] ?? 0) + e.count;
        return;
      case "duplicate":
        this.fig.duplicatesSeen++;
        return;
    }
  }
}
