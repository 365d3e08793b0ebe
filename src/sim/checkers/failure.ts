import { faultExplains, type FaultPlan } from "../faults.ts";
import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";
import type { PeerEvent, Tables } from "./tables.ts";

interface Outage {
  ix: number;
  kind: "crash" | "silence";
  fromMs: number;
  toMs: number;
  observers: Set<number>;
  suspectAt: Map<number, number>;
  deadAt: Map<number, number>;
  open: boolean;
}

/**
 * Failure detection: for every outage (a crash, a silence), how long until
 * every node that knew the node saw it suspect, then dead; and every
 * suspicion of a live node that no fault explains.
 */
export class FailureChecker {
  private readonly outages: Outage[] = [];

  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
    private readonly plan: FaultPlan,
    /** A suspicion is explained by a fault that ended less than this long before it. */
    private readonly lookbackMs: number,
  ) {}

  crashed(ix: number, tMs: number): void {
    this.outageBegins(ix, "crash", tMs);
    // An observer that went down is no longer one.
    for (const o of this.outages) if (o.open) o.observers.delete(ix);
  }

  restarted(ix: number, tMs: number): void {
    this.outageEnds(ix, "crash", tMs);
  }

  silenced(ix: number, tMs: number): void {
    this.outageBegins(ix, "silence", tMs);
  }

  unsilenced(ix: number, tMs: number): void {
    this.outageEnds(ix, "silence", tMs);
  }

  private outageBegins(ix: number, kind: "crash" | "silence", tMs: number): void {
    const observers = new Set<number>();
    const suspectAt = new Map<number, number>();
    const deadAt = new Map<number, number>();
    for (let i = 0; i < this.t.n; i++) {
      const status = i === ix || !this.t.up[i] ? undefined : this.t.known[i]!.get(ix);
      if (status === undefined) continue;
      observers.add(i);
      // Already suspected (a partition came first): seen from the start.
      if (status !== "alive") suspectAt.set(i, tMs);
      if (status === "dead") deadAt.set(i, tMs);
    }
    this.outages.push({ ix, kind, fromMs: tMs, toMs: Infinity, observers, suspectAt, deadAt, open: true });
  }

  private outageEnds(ix: number, kind: "crash" | "silence", tMs: number): void {
    for (const o of this.outages) if (o.open && o.ix === ix && o.kind === kind) {
      o.open = false;
      o.toMs = tMs;
    }
  }

  /** After the tables took the event in. */
  peerStatus(ix: number, p: number, e: Extract<PeerEvent, { type: "peer_status" }>, tMs: number): void {
    if (e.to === "alive") return;
    for (const o of this.outages) {
      if (o.ix !== p || !o.open || !o.observers.has(ix)) continue;
      if (!o.suspectAt.has(ix)) o.suspectAt.set(ix, tMs);
      if (e.to === "dead" && !o.deadAt.has(ix)) o.deadAt.set(ix, tMs);
    }
    if (e.from === "alive" && this.t.up[ix] && !faultExplains(this.plan, ix, p, tMs, this.lookbackMs)) {
      const fd = this.fig.failureDetection;
      fd.falseSuspicions++;
      if (fd.falseExamples.length < EXAMPLES_MAX) {
        fd.falseExamples.push(`${this.t.idOf(ix)} marked ${e.peer} ${e.to} at ${tMs} ms`);
      }
    }
  }

  finish(endMs: number): void {
    for (const o of this.outages) {
      const observers = [...o.observers].filter((i) => this.t.up[i]);
      const worst = (m: Map<number, number>) => {
        let w = 0;
        for (const i of observers) {
          const at = m.get(i);
          if (at === undefined) return null;
          w = Math.max(w, at - o.fromMs);
        }
        return w;
      };
      this.fig.failureDetection.outages.push({
        node: this.t.idOf(o.ix),
        kind: o.kind,
        fromMs: o.fromMs,
        toMs: o.open ? endMs : o.toMs,
        observers: observers.length,
        suspectAllMs: worst(o.suspectAt),
        deadAllMs: worst(o.deadAt),
        missedSuspect: observers.filter((i) => !o.suspectAt.has(i)).length,
        missedDead: observers.filter((i) => !o.deadAt.has(i)).length,
      });
    }
  }
}
