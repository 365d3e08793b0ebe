import type { NodeEvent, NodeSnapshot, PeerStatus } from "../core/types.ts";
import { faultExplains, type FaultPlan } from "./faults.ts";
import type { Member } from "./roster.ts";
import { ViewTruth } from "./truth.ts";

/** Examples kept word for word per anomaly kind; the rest are only counted. */
export const EXAMPLES_MAX = 5;

export interface OutageFigure {
  node: string;
  kind: "crash" | "silence";
  fromMs: number;
  toMs: number;
  /** Live nodes that knew the node when the outage began. */
  observers: number;
  /** Time from the outage until the last observer saw it suspect / dead; null when one never did. */
  suspectAllMs: number | null;
  deadAllMs: number | null;
  /** Observers that never saw it suspect before it came back (or the run ended). */
  missedSuspect: number;
  missedDead: number;
}

export interface LiarFigure {
  id: string;
  /** Honest nodes that count: never crashed, and knew the liar. */
  observers: number;
  flaggedBy: number;
  /** Run time at which the last of them flagged it; null when one never did. */
  flaggedAllMs: number | null;
}

export interface CheckFigures {
  discovery: { target: number; convergedMs: number | null };
  /** After the last fault ended: every live node sees every other live node alive again. */
  reconverge: { faultsEndMs: number | null; reconvergedMs: number | null; convergedAtEnd: boolean; gapsAtEnd: string[] };
  failureDetection: {
    outages: OutageFigure[];
    falseSuspicions: number;
    falseExamples: string[];
  };
  audits: {
    total: number;
    correct: number;
    share: number | null;
    honestTotal: number;
    honestCorrect: number;
    honestShare: number | null;
    /** A node audited the same (content, epoch) twice within one life. */
    repeated: number;
  };
  reputation: {
    liars: LiarFigure[];
    /** Flags of honest nodes raised by honest nodes (must be 0). */
    honestFlagged: number;
    honestFlaggedExamples: string[];
    /** Flags of honest nodes raised by liars: their own lies skew their audits. */
    honestFlaggedByLiars: number;
    liarUnflags: number;
  };
  anomalies: {
    rejected: number;
    urlRejected: number;
    unknownPeers: number;
    /** Sends whose queue URL names another node than their `to`. */
    misaddressed: number;
    snapshotMismatches: number;
    examples: string[];
  };
  /** Honest live pairs where one chokes the other at the end of the run. */
  chokedHonestPairsAtEnd: number;
  /** Live pairs where a node's `choked` and its peer's `chokingUs` differ at the end, with no CHOKE or UNCHOKE in flight. */
  chokeViewsDisagreeing: number;
  chokeDisagreeExamples: string[];
  drops: Record<string, number>;
  duplicatesSeen: number;
}

/**
 * Watches every node's events beside the run and keeps the figures of the
 * issue: discovery, failure detection, audits, reputation. It keeps its own
 * copy of each node's peer table from the events alone, and at the end
 * compares it with the node's snapshot, so a core whose events disagree with
 * its state is caught too.
 */
export class Checkers {
  private readonly n: number;
  private readonly ixOf = new Map<string, number>();
  /** Per observer: peer index -> status, as the events tell it. */
  private readonly known: Array<Map<number, PeerStatus>>;
  private readonly flagged: Array<Set<number>>;
  private readonly choking: Array<Set<number>>;
  private readonly audited: Array<Set<string>>;
  private readonly up: Uint8Array;
  private readonly everCrashed: Uint8Array;
  private upCount = 0;
  private startedCount = 0;
  private readonly truth: ViewTruth;
  private discoveryMs: number | null = null;
  private reconvergedMs: number | null = null;
  private readonly faultsEndMs: number | null;
  private readonly outages: Array<{
    ix: number;
    kind: "crash" | "silence";
    fromMs: number;
    toMs: number;
    observers: Set<number>;
    suspectAt: Map<number, number>;
    deadAt: Map<number, number>;
    open: boolean;
  }> = [];
  private readonly flagAt: Array<Map<number, number>>;
  readonly fig: CheckFigures;
  readonly auditOutcomes = new Map<string, number>();

  constructor(
    private readonly members: readonly Member[],
    private readonly plan: FaultPlan,
    viewSeed: string,
    private readonly peersMax: number,
    /** A suspicion is explained by a fault that ended less than this long before it. */
    private readonly lookbackMs: number,
    private readonly keepAudits: boolean,
  ) {
    this.n = members.length;
    members.forEach((m) => this.ixOf.set(m.id, m.ix));
    this.known = members.map(() => new Map());
    this.flagged = members.map(() => new Set());
    this.choking = members.map(() => new Set());
    this.audited = members.map(() => new Set());
    this.flagAt = members.map(() => new Map());
    this.up = new Uint8Array(this.n);
    this.everCrashed = new Uint8Array(this.n);
    for (const c of plan.crashes) this.everCrashed[c.ix] = 1;
    this.truth = new ViewTruth(viewSeed);
    const ends = [...plan.crashes, ...plan.silences, ...(plan.partition ? [plan.partition] : [])].map((s) => s.toMs);
    this.faultsEndMs = ends.length === 0 ? null : Math.max(...ends);
    this.fig = {
      discovery: { target: Math.min(this.n - 1, peersMax), convergedMs: null },
      reconverge: { faultsEndMs: this.faultsEndMs, reconvergedMs: null, convergedAtEnd: false, gapsAtEnd: [] },
      failureDetection: { outages: [], falseSuspicions: 0, falseExamples: [] },
      audits: { total: 0, correct: 0, share: null, honestTotal: 0, honestCorrect: 0, honestShare: null, repeated: 0 },
      reputation: { liars: [], honestFlagged: 0, honestFlaggedExamples: [], honestFlaggedByLiars: 0, liarUnflags: 0 },
      anomalies: { rejected: 0, urlRejected: 0, unknownPeers: 0, misaddressed: 0, snapshotMismatches: 0, examples: [] },
      chokedHonestPairsAtEnd: 0,
      chokeViewsDisagreeing: 0,
      chokeDisagreeExamples: [],
      drops: {},
      duplicatesSeen: 0,
    };
  }

  private anomaly(text: string): void {
    if (this.fig.anomalies.examples.length < EXAMPLES_MAX * 4) this.fig.anomalies.examples.push(text);
  }

  misaddressed(fromIx: number, to: string, queueUrl: string): void {
    this.fig.anomalies.misaddressed++;
    this.anomaly(`${this.members[fromIx]!.id} sent to ${to} at ${queueUrl}`);
  }

  started(ix: number): void {
    this.up[ix] = 1;
    this.upCount++;
    this.startedCount++;
  }

  /** A node stopped: its tables stay as they were (a persisted restart keeps them). */
  crashed(ix: number, tMs: number): void {
    this.up[ix] = 0;
    this.upCount--;
    this.outageBegins(ix, "crash", tMs);
    // An observer that went down is no longer one.
    for (const o of this.outages) if (o.open) o.observers.delete(ix);
  }

  restarted(ix: number, tMs: number, fresh: boolean): void {
    this.up[ix] = 1;
    this.upCount++;
    this.outageEnds(ix, "crash", tMs);
    // Choking is not part of the persisted state: a restarted node chokes no one.
    this.choking[ix]!.clear();
    if (fresh) {
      this.known[ix]!.clear();
      this.flagged[ix]!.clear();
      this.choking[ix]!.clear();
      this.audited[ix]!.clear();
    }
  }

  /**
   * A restored node says nothing about the peers it restored (no events):
   * its tables are read from its snapshot instead, whatever restore did.
   */
  resync(ix: number, snap: NodeSnapshot): void {
    const known = this.known[ix]!;
    known.clear();
    this.flagged[ix]!.clear();
    this.choking[ix]!.clear();
    for (const peer of snap.peers) {
      const p = this.ixOf.get(peer.id);
      if (p === undefined) continue;
      known.set(p, peer.status);
      if (peer.flagged) this.flagged[ix]!.add(p);
      if (peer.choked) this.choking[ix]!.add(p);
    }
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
    for (let i = 0; i < this.n; i++) {
      const status = i === ix || !this.up[i] ? undefined : this.known[i]!.get(ix);
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

  event(ix: number, e: NodeEvent, tMs: number): void {
    switch (e.type) {
      case "peer_added":
      case "peer_status":
      case "peer_forgotten":
      case "peer_flagged":
      case "peer_unflagged":
        return this.peerEvent(ix, e, tMs);
      case "audit":
        return this.audit(ix, e.content_id, e.epoch, e.agreed_count);
      case "rejected":
        this.fig.anomalies.rejected++;
        return this.anomaly(`${this.members[ix]!.id} rejected a valid message at ${tMs} ms: ${e.reason} ${e.detail}`);
      case "url_rejected":
        this.fig.anomalies.urlRejected++;
        return this.anomaly(`${this.members[ix]!.id} rejected URL of ${e.peer}: ${e.reason}`);
      case "dropped":
        this.fig.drops[e.what] = (this.fig.drops[e.what] ?? 0) + e.count;
        return;
      case "duplicate":
        this.fig.duplicatesSeen++;
        return;
      case "choke_changed": {
        const p = this.ixOf.get(e.peer);
        if (p === undefined) return;
        if (e.choked) this.choking[ix]!.add(p);
        else this.choking[ix]!.delete(p);
        return;
      }
      default:
        return;
    }
  }

  private peerEvent(ix: number, e: Extract<NodeEvent, { peer: string }>, tMs: number): void {
    const p = this.ixOf.get(e.peer);
    if (p === undefined || p === ix) {
      this.fig.anomalies.unknownPeers++;
      return this.anomaly(`${this.members[ix]!.id}: ${e.type} of ${p === ix ? "itself" : `unknown ${e.peer}`}`);
    }
    const known = this.known[ix]!;
    switch (e.type) {
      case "peer_added":
        known.set(p, "alive");
        return;
      case "peer_forgotten":
        known.delete(p);
        this.choking[ix]!.delete(p);
        return;
      case "peer_status": {
        known.set(p, e.to);
        if (e.to === "alive") return;
        for (const o of this.outages) {
          if (o.ix !== p || !o.open || !o.observers.has(ix)) continue;
          if (!o.suspectAt.has(ix)) o.suspectAt.set(ix, tMs);
          if (e.to === "dead" && !o.deadAt.has(ix)) o.deadAt.set(ix, tMs);
        }
        if (e.from === "alive" && this.up[ix] && !faultExplains(this.plan, ix, p, tMs, this.lookbackMs)) {
          const fd = this.fig.failureDetection;
          fd.falseSuspicions++;
          if (fd.falseExamples.length < EXAMPLES_MAX) {
            fd.falseExamples.push(`${this.members[ix]!.id} marked ${e.peer} ${e.to} at ${tMs} ms`);
          }
        }
        return;
      }
      case "peer_flagged": {
        this.flagged[ix]!.add(p);
        if (!this.flagAt[ix]!.has(p)) this.flagAt[ix]!.set(p, tMs);
        if (this.members[p]!.honest) {
          const r = this.fig.reputation;
          if (this.members[ix]!.honest) {
            r.honestFlagged++;
            if (r.honestFlaggedExamples.length < EXAMPLES_MAX) {
              r.honestFlaggedExamples.push(`${this.members[ix]!.id} flagged ${e.peer} (score ${e.score.toFixed(3)}) at ${tMs} ms`);
            }
          } else r.honestFlaggedByLiars++;
        }
        return;
      }
      case "peer_unflagged":
        this.flagged[ix]!.delete(p);
        if (!this.members[p]!.honest && this.members[ix]!.honest) this.fig.reputation.liarUnflags++;
        return;
    }
  }

  private audit(ix: number, contentId: string, epoch: number, agreed: number): void {
    const a = this.fig.audits;
    const key = `${contentId}|${epoch}`;
    const seen = this.audited[ix]!;
    if (seen.has(key)) {
      a.repeated++;
      this.anomaly(`${this.members[ix]!.id} audited ${key} twice`);
    }
    seen.add(key);
    const right = agreed === this.truth.count(contentId, epoch);
    a.total++;
    if (right) a.correct++;
    if (this.members[ix]!.honest) {
      a.honestTotal++;
      if (right) a.honestCorrect++;
    }
    if (this.keepAudits) this.auditOutcomes.set(`${this.members[ix]!.id}|${key}`, agreed);
  }

  /** Called every probe interval: convergence is judged on the tables as they stand. */
  probe(tMs: number): void {
    if (this.discoveryMs === null && this.allCovered(false)) {
      this.discoveryMs = tMs;
      this.fig.discovery.convergedMs = tMs;
    }
    if (this.reconvergedMs === null && this.faultsEndMs !== null && tMs >= this.faultsEndMs && this.allCovered(true)) {
      this.reconvergedMs = tMs;
      this.fig.reconverge.reconvergedMs = tMs - this.faultsEndMs;
    }
  }

  /**
   * Every live node knows (or sees alive) every other live node, up to its
   * table bound. Seeing alive leaves out pairs of liars: flagged nodes are
   * choked, and choking withholds gossip, so two liars that lost each other
   * (a long partition) have no one left to introduce them again.
   */
  private allCovered(aliveOnly: boolean): boolean {
    if (this.startedCount < this.n) return false;
    let upLiars = 0;
    for (let i = 0; i < this.n; i++) if (this.up[i] && !this.members[i]!.honest) upLiars++;
    for (let i = 0; i < this.n; i++) {
      if (!this.up[i]) continue;
      const skipLiars = aliveOnly && !this.members[i]!.honest;
      const target = Math.min(this.upCount - 1 - (skipLiars ? upLiars - 1 : 0), this.peersMax);
      const known = this.known[i]!;
      if (known.size < target) return false;
      let covered = 0;
      for (const [p, status] of known) {
        if (this.up[p] && (!aliveOnly || status === "alive") && !(skipLiars && !this.members[p]!.honest)) covered++;
      }
      if (covered < target) return false;
    }
    return true;
  }

  /** The end of the run: the last figures, and the events checked against each node's snapshot. */
  finish(endMs: number, snapshots: Array<NodeSnapshot | null>, chokeInFlight: (from: string, to: string) => boolean = () => false): CheckFigures {
    const fig = this.fig;
    fig.reconverge.convergedAtEnd = this.allCovered(true);
    if (!fig.reconverge.convergedAtEnd && this.n - 1 <= this.peersMax) {
      for (let i = 0; i < this.n && fig.reconverge.gapsAtEnd.length < EXAMPLES_MAX; i++) {
        if (!this.up[i]) continue;
        for (let p = 0; p < this.n && fig.reconverge.gapsAtEnd.length < EXAMPLES_MAX; p++) {
          const status = this.known[i]!.get(p);
          if (p === i || !this.up[p] || status === "alive" || (!this.members[i]!.honest && !this.members[p]!.honest)) continue;
          fig.reconverge.gapsAtEnd.push(`${this.members[i]!.id} sees ${this.members[p]!.id} ${status ?? "not at all"}`);
        }
      }
    }
    for (const m of this.members) {
      if (!m.honest || !this.up[m.ix]) continue;
      for (const p of this.choking[m.ix]!) if (this.members[p]!.honest && this.up[p]) fig.chokedHonestPairsAtEnd++;
    }
    for (const o of this.outages) {
      const observers = [...o.observers].filter((i) => this.up[i]);
      const worst = (m: Map<number, number>) => {
        let w = 0;
        for (const i of observers) {
          const t = m.get(i);
          if (t === undefined) return null;
          w = Math.max(w, t - o.fromMs);
        }
        return w;
      };
      fig.failureDetection.outages.push({
        node: this.members[o.ix]!.id,
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
    for (const liar of this.members) {
      if (liar.honest) continue;
      let observers = 0;
      let flaggedBy = 0;
      let last = 0;
      for (const m of this.members) {
        if (!m.honest || this.everCrashed[m.ix] || !this.up[m.ix]) continue;
        const at = this.flagAt[m.ix]!.get(liar.ix);
        if (at === undefined && !this.known[m.ix]!.has(liar.ix)) continue;
        observers++;
        if (at !== undefined) {
          flaggedBy++;
          last = Math.max(last, at);
        }
      }
      fig.reputation.liars.push({
        id: liar.id,
        observers,
        flaggedBy,
        flaggedAllMs: flaggedBy === observers && observers > 0 ? last : null,
      });
    }
    const a = fig.audits;
    a.share = a.total === 0 ? null : a.correct / a.total;
    a.honestShare = a.honestTotal === 0 ? null : a.honestCorrect / a.honestTotal;
    snapshots.forEach((snap, ix) => {
      if (snap !== null) this.compareSnapshot(ix, snap);
    });
    this.compareChokes(snapshots, chokeInFlight);
    return fig;
  }

  private compareChokes(snapshots: Array<NodeSnapshot | null>, inFlight: (from: string, to: string) => boolean): void {
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

  private compareSnapshot(ix: number, snap: NodeSnapshot): void {
    const known = this.known[ix]!;
    const id = this.members[ix]!.id;
    const seen = new Set<number>();
    const mismatch = (text: string) => {
      this.fig.anomalies.snapshotMismatches++;
      this.anomaly(`${id}: ${text}`);
    };
    for (const peer of snap.peers) {
      const p = this.ixOf.get(peer.id);
      if (p === undefined) {
        mismatch(`snapshot lists unknown peer ${peer.id}`);
        continue;
      }
      seen.add(p);
      const status = known.get(p);
      if (status === undefined) mismatch(`snapshot has ${peer.id}, events never added it`);
      else if (status !== peer.status) mismatch(`${peer.id} is ${peer.status}, events say ${status}`);
      if (peer.flagged !== this.flagged[ix]!.has(p)) mismatch(`${peer.id} flagged=${peer.flagged}, events say ${!peer.flagged}`);
      if (peer.choked !== this.choking[ix]!.has(p)) mismatch(`${peer.id} choked=${peer.choked}, events say ${!peer.choked}`);
    }
    for (const p of known.keys()) if (!seen.has(p)) mismatch(`events added ${this.members[p]!.id}, snapshot lacks it`);
  }
}
