import type { NodeEvent, NodeSnapshot, PeerStatus } from "../../core/types.ts";
import type { Member } from "../roster.ts";
import { EXAMPLES_MAX, type CheckFigures } from "./figures.ts";

/** A peer event of the core: the peer it names, and what it says. */
export type PeerEvent = Extract<NodeEvent, { type: "peer_added" | "peer_status" | "peer_forgotten" | "peer_flagged" | "peer_unflagged" }>;

/**
 * What every node knows of its peers, kept from its events alone (never from
 * its state), and which nodes are up: the ground every family of checkers
 * reads. Anomalies of any family are written to one list, in run order.
 */
export class Tables {
  readonly n: number;
  readonly ixOf = new Map<string, number>();
  /** Per observer: peer index -> status, as the events tell it. */
  readonly known: Array<Map<number, PeerStatus>>;
  readonly flagged: Array<Set<number>>;
  readonly choking: Array<Set<number>>;
  readonly up: Uint8Array;
  upCount = 0;
  startedCount = 0;

  constructor(
    readonly members: readonly Member[],
    private readonly fig: CheckFigures,
  ) {
    this.n = members.length;
    members.forEach((m) => this.ixOf.set(m.id, m.ix));
    this.known = members.map(() => new Map());
    this.flagged = members.map(() => new Set());
    this.choking = members.map(() => new Set());
    this.up = new Uint8Array(this.n);
  }

  idOf(ix: number): string {
    return this.members[ix]!.id;
  }

  honest(ix: number): boolean {
    return this.members[ix]!.honest;
  }

  anomaly(text: string): void {
    if (this.fig.anomalies.examples.length < EXAMPLES_MAX * 4) this.fig.anomalies.examples.push(text);
  }

  started(ix: number): void {
    this.up[ix] = 1;
    this.upCount++;
    this.startedCount++;
  }

  /** A node stopped: its tables stay as they were (a persisted restart keeps them). */
  crashed(ix: number): void {
    this.up[ix] = 0;
    this.upCount--;
  }

  restarted(ix: number, fresh: boolean): void {
    this.up[ix] = 1;
    this.upCount++;
    // Choking is not part of the persisted state: a restarted node chokes no one.
    this.choking[ix]!.clear();
    if (fresh) {
      this.known[ix]!.clear();
      this.flagged[ix]!.clear();
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

  /** The index of the peer an event names; undefined (and an anomaly) for an unknown peer or the node itself. */
  peerOf(ix: number, e: PeerEvent): number | undefined {
    const p = this.ixOf.get(e.peer);
    if (p === undefined || p === ix) {
      this.fig.anomalies.unknownPeers++;
      this.anomaly(`${this.idOf(ix)}: ${e.type} of ${p === ix ? "itself" : `unknown ${e.peer}`}`);
      return undefined;
    }
    return p;
  }

  peerEvent(ix: number, p: number, e: PeerEvent): void {
    switch (e.type) {
      case "peer_added":
        this.known[ix]!.set(p, "alive");
        return;
      case "peer_forgotten":
        this.known[ix]!.delete(p);
        this.choking[ix]!.delete(p);
        return;
      case "peer_status":
        this.known[ix]!.set(p, e.to);
        return;
      case "peer_flagged":
        this.flagged[ix]!.add(p);
        return;
      case "peer_unflagged":
        this.flagged[ix]!.delete(p);
        return;
    }
  }

  chokeChanged(ix: number, peer: string, choked: boolean): void {
    const p = this.ixOf.get(peer);
    if (p === undefined) return;
    if (choked) this.choking[ix]!.add(p);
    else this.choking[ix]!.delete(p);
  }
}
