import { LIMITS } from "../../core/config.ts";
import type { ScaleBounds } from "../../core/settings.ts";
import { faultExplains, type FaultPlan } from "../faults.ts";
import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";
import type { PeerEvent, Tables } from "./tables.ts";

interface Outage {
  ix: number;
  kind: "crash" | "silence";
  fromMs: number;
  toMs: number;
  observers: Set<number>;
  /** Each observer's peers when the outage began: how long its probe round may take. */
  tableSize: Map<number, number>;
  /** Each observer's first PING to the node after the outage began. */
  askedAt: Map<number, number>;
  suspectAt: Map<number, number>;
  deadAt: Map<number, number>;
  open: boolean;
}

/** What the failure rule lets an observer take to see an outage. */
export interface DetectionBounds {
  heartbeatMs: number;
  /** The longest a message travels: a reply sent just before the outage may still arrive this late. */
  inFlightMs: number;
  scale: ScaleBounds;
}

/**
 * Failure detection: for every outage (a crash, a silence), how long until
 * every node that knew the node saw it suspect, then dead; and every
 * suspicion of a live node that no fault explains.
 *
 * Silence counts from one heartbeat before an observer's first unanswered
 * PING (SCALE-3), so each observer is held to a deadline of its own: in a
 * small network it PINGs every peer each heartbeat and the deadline is the
 * outage's start plus the beats of the rule; past `probes_per_beat` it may
 * not PING the node for up to two probe rounds (SCALE-2), and its deadline
 * runs from the PING it did send. An observer that never PINGed the node
 * is missed only when the outage outlasted two of its rounds.
 */
export class FailureChecker {
  private readonly outages: Outage[] = [];
  /** Per node: outages of it still open, so that a PING to anyone else costs one read. */
  private readonly open: Uint8Array;

  constructor(
    private readonly t: Tables,
    private readonly fig: CheckFigures,
    private readonly plan: FaultPlan,
    /** A suspicion is explained by a fault that ended less than this long before it. */
    private readonly lookbackMs: number,
    private readonly bounds: DetectionBounds,
  ) {
    this.open = new Uint8Array(t.n);
  }

  /** A PING sent from `ix` to `p`: an observer of an outage of `p` has now asked it. */
  pinged(ix: number, p: number, tMs: number): void {
    if (this.open[p] === 0) return;
    for (const o of this.outages) if (o.open && o.ix === p && o.observers.has(ix) && !o.askedAt.has(ix)) o.askedAt.set(ix, tMs);
  }

  /** Two rounds of an observer's probes, in ms: every beat while its peers fit in the bound. */
  private roundsMs(peers: number): number {
    const { probes_per_beat: max, urgent_per_beat: urgent } = this.bounds.scale;
    const hb = this.bounds.heartbeatMs;
    if (peers <= max) return hb;
    return 2 * Math.ceil(peers / Math.max(1, max - Math.min(urgent, max))) * hb;
  }

  /**
   * When observer `i` must have seen the outage after `beats` silent
   * heartbeats: from its first PING after the outage began (one heartbeat
   * before it, SCALE-3), never before the outage itself; without a PING,
   * from the end of two of its probe rounds.
   */
  private deadline(o: Outage, i: number, beats: number): number {
    const hb = this.bounds.heartbeatMs;
    const asked = o.askedAt.get(i);
    const from = asked === undefined ? o.fromMs + this.roundsMs(o.tableSize.get(i) ?? 0) : Math.max(o.fromMs, asked - hb);
    return from + (beats + 1) * hb + this.bounds.inFlightMs;
  }

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
    const tableSize = new Map<number, number>();
    const suspectAt = new Map<number, number>();
    const deadAt = new Map<number, number>();
    for (let i = 0; i < this.t.n; i++) {
      const status = i === ix || !this.t.up[i] ? undefined : this.t.known[i]!.get(ix);
      if (status === undefined) continue;
      observers.add(i);
      tableSize.set(i, this.t.known[i]!.size);
      // Already suspected (a partition came first): seen from the start.
      if (status !== "alive") suspectAt.set(i, tMs);
      if (status === "dead") deadAt.set(i, tMs);
    }
    this.outages.push({ ix, kind, fromMs: tMs, toMs: Infinity, observers, tableSize, askedAt: new Map(), suspectAt, deadAt, open: true });
    this.open[ix]!++;
  }

  private outageEnds(ix: number, kind: "crash" | "silence", tMs: number): void {
    for (const o of this.outages) if (o.open && o.ix === ix && o.kind === kind) {
      o.open = false;
      o.toMs = tMs;
      this.open[ix]!--;
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
      const toMs = o.open ? endMs : o.toMs;
      // Observers that did not see it by the end, and of them those whose own deadline fell inside the outage.
      const unseen = (seen: Map<number, number>) => observers.filter((i) => !seen.has(i));
      const due = (ids: number[], beats: number) => ids.filter((i) => this.deadline(o, i, beats) <= toMs).length;
      const [notSuspect, notDead] = [unseen(o.suspectAt), unseen(o.deadAt)];
      const [missedSuspect, missedDead] = [due(notSuspect, LIMITS.suspectAfterBeats), due(notDead, LIMITS.deadAfterBeats)];
      this.fig.failureDetection.outages.push({
        node: this.t.idOf(o.ix),
        kind: o.kind,
        fromMs: o.fromMs,
        toMs,
        observers: observers.length,
        suspectAllMs: worst(o.suspectAt),
        deadAllMs: worst(o.deadAt),
        missedSuspect,
        missedDead,
        notDueSuspect: notSuspect.length - missedSuspect,
        notDueDead: notDead.length - missedDead,
      });
    }
  }
}
