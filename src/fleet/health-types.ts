/**
 * The JSON of `GET /health`. Field names are snake_case because users read
 * and script against them.
 */
/** A node's state as /health and the table show it; health.ts says how it is read from the supervisor's and the runner's. */
export type NodeState = "starting" | "running" | "degraded" | "restarting" | "failed" | "stopped";

export interface HealthPeer {
  id: string;
  status: "alive" | "suspect" | "dead";
  reputation: number;
  agree: number;
  disagree: number;
  reports: number;
  flagged: boolean;
  /** We choke this peer. */
  choked: boolean;
  /** This peer chokes us. */
  choking_us: boolean;
  rtt_ms: number | null;
  last_seen_s_ago: number;
}

export interface HealthNode {
  id: string;
  persona: string;
  kind: "builtin" | "command";
  state: NodeState;
  uptime_s: number;
  restarts: number;
  peers: HealthPeer[];
  counters: {
    in: Record<string, number>;
    out: Record<string, number>;
    rejected: Record<string, number>;
    sqs_requests: Record<string, number>;
    sqs_errors: Record<string, number>;
    /** Messages seen twice and handled once. */
    duplicates?: number;
    /** Dropped by kind: unknown_pong, from_unknown_peer, stale_view_event, peer_list_over_max... */
    dropped?: Record<string, number>;
    /** Queue URLs refused, by reason (wrong_host, credentials_in_url...): never sent to. */
    url_rejected?: Record<string, number>;
    /** The seen journal's failures, by operation and error code (`write_eacces`): each one is a message a crash may handle again. */
    journal_errors?: Record<string, number>;
    /** The outbox's flushes to disk, one at most per batch sent, and the time they took, since the worker started. */
    journal_syncs?: { count: number; ms: number };
    /** The SQS edge's ledger: taken from the queue, deleted once handled, accepted by SQS when sent. */
    messages?: { received: number; deleted: number; sent: number };
  };
  rtt_p50_ms: number | null;
  /** Peers this node flags / chokes. */
  flags: string[];
  chokes: string[];
  audits: Array<{ content_id: string; epoch: number; agreed_count: number; confidence: number; voters: string[]; at: string }>;
  events: Array<{ at: string; text: string }>;
}

/** What one fleet node (the observer) sees of a node of the network. */
export interface HealthNetworkObservation {
  /** The status in the observer's peer table; null when it is not there (only heard from). */
  status: "alive" | "suspect" | "dead" | null;
  last_seen_s_ago: number | null;
  /** Median of the observer's recent PING round trips to it. */
  rtt_p50_ms: number | null;
  reputation: { score: number; agree: number; disagree: number; reports: number } | null;
  /** The observer flags it. */
  flagged: boolean;
  /** The observer chokes it. */
  choked: boolean;
  /** It chokes the observer. */
  chokes_observer: boolean;
  /** Messages the observer received from it, by type. */
  received: Record<string, number>;
  /** Bodies naming it as sender that the observer rejected, by reason. */
  rejected: Record<string, number>;
}

/** One node of the class's network: a fleet node or any node a fleet node knows. */
export interface HealthNetworkNode {
  id: string;
  /** One of this fleet's nodes. */
  fleet: boolean;
  /** Fleet nodes: their state, as in `nodes`. */
  state?: NodeState;
  /** Observer (fleet node) id -> what it sees. */
  seen_by: Record<string, HealthNetworkObservation>;
  /** Seconds since the last message any fleet node got from it; null when none has. */
  heard_s_ago: number | null;
  /** Sums over the observers. */
  received: Record<string, number>;
  rejected: Record<string, number>;
  rejected_total: number;
  /** Its latest rejected body at any observer: cut to 300 characters with control characters escaped, and why it was refused. */
  last_rejection: { observer: string; reason: string; detail: string; body: string; at: string } | null;
}

export interface Health {
  at: string;
  sqs: { mode: "local" | "aws"; endpoint: string | null };
  /** Where this endpoint listens (useful when the fleet was started with port 0). */
  control?: { port: number };
  nodes: HealthNode[];
  /** The class's network (fleet nodes first, at most the peer table's size of entries); absent in readings from before it existed. */
  network?: HealthNetworkNode[];
  fleet: {
    /** node id -> ids of the nodes that flag it. bot-charlie should show here. */
    flagged: Record<string, string[]>;
  };
}

/**
 * The health as the periodic log line carries it: each node's row with its
 * peers counted by status instead of listed, no audits or events, and the
 * network's size instead of its entries. A class's full view is kilobytes per
 * node and the line is written every 30 s for weeks; the whole of it stays at
 * GET /health and in the final line at exit.
 */
export interface HealthBrief {
  at: string;
  sqs: Health["sqs"];
  control?: Health["control"];
  nodes: Array<Omit<HealthNode, "peers" | "audits" | "events"> & { peers: Record<HealthPeer["status"], number> }>;
  /** Entries of the full view's `network`. */
  network_nodes: number;
  fleet: Health["fleet"];
}
