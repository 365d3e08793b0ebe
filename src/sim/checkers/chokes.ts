import type { NodeSnapshot } from "../../core/types.ts";
import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";
import type { Tables } from "./tables.ts";

/**
 * Choking at the end of the run: no honest node chokes a live honest one,
 * and both ends of every pair agree on who chokes whom (unless a CHOKE or
 * UNCHOKE is still on its way).
 */
export class ChokeChecker {
  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
  ) {}

  finishHonestPairs(): void {
    const t = this.t;
    for (const m of t.members) {
      if (!m.honest || !t.up[m.ix]) continue;
      for (const p of t.choking[m.ix]!) if (t.honest(p) && t.up[p]) this.fig.chokedHonestPairsAtEnd++;
    }
  }

  finishViews(snapshots: Array<NodeSnapshot | null>, inFlight: (from: string, to: string) => boolean): void {
    const byId = new Map<string, Map<string, { choked: boolean; chokingUs: boolean }>>();
    for (const snap of snapshots) if (snap) byId.set(snap.id, new Map(snap.peers.map((p) => [p.id, p])));
    for (const [a, peersOfA] of byId) {
      for (const [b, pb] of peersOfA) {
        const back = byId.get(b)?.get(a);
        if (!back || back.chokingUs === pb.choked || inFlight(a, b)) continue;
        this.fig.chokeViewsDisagreeing++;
        if (this.fig.chokeDisagreeExamples.length < EXAMPLES_MAX) {
          this.fig.chokeDisagreeExamples.push(`${a} ${pb.choked ? "chokes" : "serves"} ${b}, which believes the opposite`);
        }
      }
    }
  }
}
