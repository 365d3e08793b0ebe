/**
 * What the dashboard page receives: one compact view of the fleet pushed about
 * once a second over server-sent events, and the reputation history it asks for
 * when it opens or changes observer. Shared by the server and the page.
 */
import { REPUTATION } from "../../core/reputation.ts";
import type { HealthNetworkNode, HealthNode } from "../health-types.ts";

export type PeerStatusCode = 0 | 1 | 2; // alive, suspect, dead: short on the wire because 50 nodes see 49 peers each

/** One edge of the peer graph as one observer sees it: [peer, status, reputation, bits]. */
export type ViewPeer = [peer: string, status: PeerStatusCode, reputation: number, bits: number];

/** Bits of ViewPeer[3]. */
export const PEER_FLAGGED = 1;
export const PEER_CHOKED = 2;
export const PEER_CHOKING_US = 4;

/** docs/protocol.md §9 (REP-4): a peer is flagged below this score (after enough reports); the reputation's own line. */
export const FLAG_THRESHOLD = REPUTATION.flagBelow;

export interface ViewNode extends Pick<HealthNode, "id" | "persona" | "kind" | "state" | "uptime_s" | "restarts"> {
  /** Messages per second over the last sample interval, from counter deltas. */
  in_per_s: number;
  out_per_s: number;
  rejected: number;
  rtt_p50_ms: number | null;
  peers: ViewPeer[];
}

export interface ViewAudit {
  node: string;
  content_id: string;
  epoch: number;
  agreed_count: number;
  confidence: number;
  voters: string[];
  at: string;
}

export interface ViewEvent {
  node: string;
  at: string;
  text: string;
}

/** One row of the Network panel: a node of the class's network, summed over the fleet nodes that see it. */
export interface ViewNetworkNode {
  id: string;
  fleet: boolean;
  state: string | null;
  /** Fleet nodes that see it [alive, suspect, dead]. */
  seen: [number, number, number];
  heard_s_ago: number | null;
  rtt_p50_ms: number | null;
  /** Lowest and highest reputation the fleet nodes give it; null when none rates it. */
  reputation: [number, number] | null;
  flagged_by: string[];
  choked_by: string[];
  chokes: string[];
  received: number;
  rejected: Record<string, number>;
  last_rejection: HealthNetworkNode["last_rejection"];
}

export interface View {
  at: string;
  /** Milliseconds since the epoch of `at`, the x of the reputation sample in this view. */
  at_ms: number;
  sqs: { mode: "local" | "aws"; endpoint: string | null };
  nodes: ViewNode[];
  /** node id -> ids of the nodes that flag it. */
  flagged: Record<string, string[]>;
  /** Newest first, bounded. */
  audits: ViewAudit[];
  /** Newest first, bounded. */
  events: ViewEvent[];
  flag_threshold: number;
  /** The class's network, fleet nodes first (at most the peer table's size). */
  network: ViewNetworkNode[];
}

/** `GET /history?observer=ID`: aligned series for one observer, or the mean over observers. */
export interface HistoryReply {
  observer: string;
  /** Sample times, seconds since the epoch (uPlot's x unit). */
  t: number[];
  /** peer id -> reputation at each t, null where the observer did not know the peer. */
  series: Record<string, Array<number | null>>;
}

/** The `observer` value of the history that averages every observer's view of each peer. */
export const MEAN_OBSERVER = "*";
