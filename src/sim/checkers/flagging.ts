import { REPUTATION } from "../../core/reputation.ts";
import type { FaultPlan } from "../faults.ts";
import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";
import type { PeerEvent, Tables } from "./tables.ts";

/**
 * Reputation: when every honest node has flagged every liar, that no honest
 * node flags an honest one, and how often a liar is unflagged again.
 */
export class FlaggingChecker {
  private readonly flagAt: Array<Map<number, number>>;
  /** Per honest auditor: liar index -> reports of that liar it scored in its audits. */
  private readonly liarAudited: Array<Map<number, number>>;
  private readonly everCrashed: Uint8Array;

  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
    plan: FaultPlan,
    /** Audited reports of a peer before a flag can be raised (REP-4). */
    private readonly auditsToFlag: number = REPUTATION.flagAfterReports,
  ) {
    this.flagAt = t.members.map(() => new Map());
    this.liarAudited = t.members.map(() => new Map());
    this.everCrashed = new Uint8Array(t.n);
    for (const c of plan.crashes) this.everCrashed[c.ix] = 1;
  }

  /** An audit of an honest node: each liar among its voters had one more report scored. */
  audit(ix: number, voters: readonly string[]): void {
    const t = this.t;
    if (!t.honest(ix)) return;
    const counts = this.liarAudited[ix]!;
    for (const v of voters) {
      const p = t.ixOf.get(v);
      if (p !== undefined && p !== ix && !t.honest(p)) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  }

  /** After the tables took the event in. */
  peerEvent(ix: number, p: number, e: PeerEvent, tMs: number): void {
    const t = this.t;
    if (e.type === "peer_flagged") {
      if (!this.flagAt[ix]!.has(p)) this.flagAt[ix]!.set(p, tMs);
      if (!t.honest(p)) return;
      const r = this.fig.reputation;
      if (t.honest(ix)) {
        r.honestFlagged++;
        if (r.honestFlaggedExamples.length < EXAMPLES_MAX) {
          r.honestFlaggedExamples.push(`${t.idOf(ix)} flagged ${e.peer} (score ${e.score.toFixed(3)}) at ${tMs} ms`);
        }
      } else r.honestFlaggedByLiars++;
    } else if (e.type === "peer_unflagged") {
      if (!t.honest(p) && t.honest(ix)) this.fig.reputation.liarUnflags++;
    }
  }

  /**
   * Per liar: the honest nodes that count and when the last of them flagged
   * it. They count when never crashed, up, and auditing it: they scored at
   * least as many of its reports as a flag needs. In a small network that is
   * every honest node that knew it; in a large one, the partners it reports to.
   */
  finish(): void {
    const t = this.t;
    for (const liar of t.members) {
      if (liar.honest) continue;
      let observers = 0;
      let flaggedBy = 0;
      let last = 0;
      for (const m of t.members) {
        if (!m.honest || this.everCrashed[m.ix] || !t.up[m.ix]) continue;
        const at = this.flagAt[m.ix]!.get(liar.ix);
        if (at === undefined && (this.liarAudited[m.ix]!.get(liar.ix) ?? 0) < this.auditsToFlag) continue;
        observers++;
        if (at !== undefined) {
          flaggedBy++;
          last = Math.max(last, at);
        }
      }
      this.fig.reputation.liars.push({
        id: liar.id,
        observers,
        flaggedBy,
        flaggedAllMs: flaggedBy === observers && observers > 0 ? last : null,
      });
    }
  }
}
