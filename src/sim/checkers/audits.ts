import { ViewTruth } from "../truth.ts";
import type { CheckFigures } from "./figures.ts";
import type { Tables } from "./tables.ts";

/** Audits: how many agree with the true counts (all, and honest auditors'), and none done twice in one life. */
export class AuditChecker {
  private readonly audited: Array<Set<string>>;
  private readonly truth: ViewTruth;
  /** `node|content|epoch` -> agreed count, when asked to keep them. */
  readonly outcomes = new Map<string, number>();

  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
    viewSeed: string,
    private readonly keepOutcomes: boolean,
  ) {
    this.audited = t.members.map(() => new Set());
    this.truth = new ViewTruth(viewSeed);
  }

  /** A fresh restart begins a new life: what it audited before no longer counts. */
  restarted(ix: number, fresh: boolean): void {
    if (fresh) this.audited[ix]!.clear();
  }

  audit(ix: number, contentId: string, epoch: number, agreed: number): void {
    const a = this.fig.audits;
    const key = `${contentId}|${epoch}`;
    const seen = this.audited[ix]!;
    if (seen.has(key)) {
      a.repeated++;
      this.t.anomaly(`${this.t.idOf(ix)} audited ${key} twice`);
    }
    seen.add(key);
    const right = agreed === this.truth.count(contentId, epoch);
    a.total++;
    if (right) a.correct++;
    if (this.t.honest(ix)) {
      a.honestTotal++;
      if (right) a.honestCorrect++;
    }
    if (this.keepOutcomes) this.outcomes.set(`${this.t.idOf(ix)}|${key}`, agreed);
  }

  finish(): void {
    const a = this.fig.audits;
    a.share = a.total === 0 ? null : a.correct / a.total;
    a.honestShare = a.honestTotal === 0 ? null : a.honestCorrect / a.honestTotal;
  }
}
