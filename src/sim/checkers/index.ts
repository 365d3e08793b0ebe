import type { NodeEvent, NodeSnapshot } from "../../core/types.ts";
import type { FaultPlan } from "../faults.ts";
import type { Member } from "../roster.ts";
import { AuditChecker } from "./audits.ts";
import { ChokeChecker } from "./chokes.ts";
import { compareSnapshot } from "./consistency.ts";
import { DiscoveryChecker } from "./discovery.ts";
import { FailureChecker, type DetectionBounds } from "./failure.ts";
import { emptyFigures, type CheckFigures } from "./figures.ts";
import { FlaggingChecker } from "./flagging.ts";
import { Tables } from "./tables.ts";
import { TrafficChecker } from "./traffic.ts";

export type { DetectionBounds } from "./failure.ts";
export { EXAMPLES_MAX, type CheckFigures, type LiarFigure, type OutageFigure } from "./figures.ts";

/**
 * Watches every node's events beside the run and keeps the figures of every
 * property family: discovery, failure detection, audits, reputation,
 * choking, traffic. Each family lives in its own file and reads the peer
 * tables kept here from the events alone; at the end they are compared with
 * each node's snapshot, so a core whose events disagree with its state is
 * caught too.
 */
export class Checkers {
  readonly fig: CheckFigures;
  private readonly t: Tables;
  private readonly discovery: DiscoveryChecker;
  private readonly failure: FailureChecker;
  private readonly audits: AuditChecker;
  private readonly flagging: FlaggingChecker;
  private readonly chokes: ChokeChecker;
  private readonly traffic: TrafficChecker;

  constructor(
    members: readonly Member[],
    plan: FaultPlan,
    viewSeed: string,
    peersMax: number,
    /** A suspicion is explained by a fault that ended less than this long before it. */
    lookbackMs: number,
    keepAudits: boolean,
    detection: DetectionBounds,
  ) {
    const ends = [...plan.crashes, ...plan.silences, ...(plan.partition ? [plan.partition] : [])].map((s) => s.toMs);
    this.fig = emptyFigures(Math.min(members.length - 1, peersMax), ends.length === 0 ? null : Math.max(...ends));
    this.t = new Tables(members, this.fig);
    this.discovery = new DiscoveryChecker(this.t, this.fig, peersMax);
    this.failure = new FailureChecker(this.t, this.fig, plan, lookbackMs, detection);
    this.audits = new AuditChecker(this.t, this.fig, viewSeed, keepAudits);
    this.flagging = new FlaggingChecker(this.t, this.fig, plan);
    this.chokes = new ChokeChecker(this.t, this.fig);
    this.traffic = new TrafficChecker(this.t, this.fig);
  }

  /** `node|content|epoch` -> agreed count, when the run keeps audits. */
  get auditOutcomes(): Map<string, number> {
    return this.audits.outcomes;
  }

  misaddressed(fromIx: number, to: string, queueUrl: string): void {
    this.traffic.misaddressed(fromIx, to, queueUrl);
  }

  /** Every PING a node sends, whether or not the network delivers it. */
  pinged(fromIx: number, toIx: number, tMs: number): void {
    this.failure.pinged(fromIx, toIx, tMs);
  }

  started(ix: number): void {
    this.t.started(ix);
  }

  /** A node stopped: its tables stay as they were (a persisted restart keeps them). */
  crashed(ix: number, tMs: number): void {
    this.t.crashed(ix);
    this.failure.crashed(ix, tMs);
  }

  restarted(ix: number, tMs: number, fresh: boolean): void {
    this.t.restarted(ix, fresh);
    this.failure.restarted(ix, tMs);
    this.audits.restarted(ix, fresh);
  }

  /** A restored node says nothing about the peers it restored: its tables are read from its snapshot. */
  resync(ix: number, snap: NodeSnapshot): void {
    this.t.resync(ix, snap);
  }

  silenced(ix: number, tMs: number): void {
    this.failure.silenced(ix, tMs);
  }

  unsilenced(ix: number, tMs: number): void {
    this.failure.unsilenced(ix, tMs);
  }

  event(ix: number, e: NodeEvent, tMs: number): void {
    switch (e.type) {
      case "peer_added":
      case "peer_status":
      case "peer_forgotten":
      case "peer_flagged":
      case "peer_unflagged": {
        const p = this.t.peerOf(ix, e);
        if (p === undefined) return;
        this.t.peerEvent(ix, p, e);
        if (e.type === "peer_status") this.failure.peerStatus(ix, p, e, tMs);
        this.flagging.peerEvent(ix, p, e, tMs);
        return;
      }
      case "audit":
        this.flagging.audit(ix, e.voters);
        return this.audits.audit(ix, e.content_id, e.epoch, e.agreed_count);
      case "rejected":
      case "url_rejected":
      case "dropped":
      case "duplicate":
        return this.traffic.event(ix, e, tMs);
      case "choke_changed":
        return this.t.chokeChanged(ix, e.peer, e.choked);
      default:
        return;
    }
  }

  /** Called every probe interval: convergence is judged on the tables as they stand. */
  probe(tMs: number): void {
    this.discovery.probe(tMs);
  }

  /** The end of the run: the last figures, and the events checked against each node's snapshot. */
  finish(endMs: number, snapshots: Array<NodeSnapshot | null>, chokeInFlight: (from: string, to: string) => boolean = () => false): CheckFigures {
    this.discovery.finish();
    this.chokes.finishHonestPairs();
    this.failure.finish(endMs);
    this.flagging.finish();
    this.audits.finish();
    snapshots.forEach((snap, ix) => {
      if (snap !== null) compareSnapshot(this.t, this.fig, ix, snap);
    });
    this.chokes.finishViews(snapshots, chokeInFlight);
    return this.fig;
  }
}
