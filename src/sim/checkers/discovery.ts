import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";
import type { Tables } from "./tables.ts";

/**
 * Discovery: how long until every live node knows every other, and, after
 * the last fault, how long until every live node sees every other alive again.
 */
export class DiscoveryChecker {
  private discoveryMs: number | null = null;
  private reconvergedMs: number | null = null;

  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
    private readonly peersMax: number,
  ) {}

  /** Called every probe interval: convergence is judged on the tables as they stand. */
  probe(tMs: number): void {
    const faultsEndMs = this.fig.reconverge.faultsEndMs;
    if (this.discoveryMs === null && this.allCovered(false)) {
      this.discoveryMs = tMs;
      this.fig.discovery.convergedMs = tMs;
    }
    if (this.reconvergedMs === null && faultsEndMs !== null && tMs >= faultsEndMs && this.allCovered(true)) {
      this.reconvergedMs = tMs;
      this.fig.reconverge.reconvergedMs = tMs - faultsEndMs;
    }
  }

  /**
   * Every live node knows (or sees alive) every other live node, up to its
   * table bound. Seeing alive leaves out pairs of liars: flagged nodes are
   * choked, and choking withholds gossip, so two liars that lost each other
   * (a long partition) have no one left to introduce them again.
   */
  private allCovered(aliveOnly: boolean): boolean {
    const t = this.t;
    if (t.startedCount < t.n) return false;
    let upLiars = 0;
    for (let i = 0; i < t.n; i++) if (t.up[i] && !t.honest(i)) upLiars++;
    for (let i = 0; i < t.n; i++) {
      if (!t.up[i]) continue;
      const skipLiars = aliveOnly && !t.honest(i);
      const known = t.known[i]!;
      // Cheap first: an honest node must hold every live peer, up to the bound.
      if (!skipLiars && known.size < Math.min(t.upCount - 1, this.peersMax)) return false;
      let covered = 0;
      let liarsKnown = 0;
      for (const [p, status] of known) {
        if (skipLiars && !t.honest(p)) liarsKnown++;
        else if (t.up[p] && (!aliveOnly || status === "alive")) covered++;
      }
      // A full table may hold other liars, which a liar is not asked to see alive.
      const target = Math.min(t.upCount - 1 - (skipLiars ? upLiars - 1 : 0), this.peersMax - liarsKnown);
      if (covered < target) return false;
    }
    return true;
  }

  /** At the end: converged or not, and the first gaps when not (only where every node can hold every other). */
  finish(): void {
    const t = this.t;
    const r = this.fig.reconverge;
    r.convergedAtEnd = this.allCovered(true);
    if (r.convergedAtEnd || t.n - 1 > this.peersMax) return;
    for (let i = 0; i < t.n && r.gapsAtEnd.length < EXAMPLES_MAX; i++) {
      if (!t.up[i]) continue;
      for (let p = 0; p < t.n && r.gapsAtEnd.length < EXAMPLES_MAX; p++) {
        const status = t.known[i]!.get(p);
        if (p === i || !t.up[p] || status === "alive" || (!t.honest(i) && !t.honest(p))) continue;
        r.gapsAtEnd.push(`${t.idOf(i)} sees ${t.idOf(p)} ${status ?? "not at all"}`);
      }
    }
  }
}
