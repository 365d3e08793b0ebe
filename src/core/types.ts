import type { Message, MessageType, NetworkId, RejectReason } from "../protocol/index.ts";
import type { ScaleBounds } from "./settings.ts";
import type { PersistedState } from "./state.ts";

/** docs/protocol.md §11. */
export const PERSONAS = ["bot-alpha", "bot-bravo", "bot-charlie", "node"] as const;
export type Persona = (typeof PERSONAS)[number];

/** Intervals of docs/protocol.md §6, in milliseconds; their defaults are `TimingSeconds` in settings.ts. */
export interface TimingMs {
  heartbeatMs: number;
  gossipMs: number;
  viewsMs: number;
  auditMs: number;
  epochMs: number;
  rechokeMs: number;
  optimisticMs: number;
}

export interface ContentItem {
  content_id: string;
  ad_id: string;
}

export interface NodeConfig {
  id: string;
  persona: Persona;
  network: NetworkId;
  /** Node ids said HELLO to at start (docs/protocol.md §6, JOIN-1); the node's own id is skipped. */
  bootstrap: string[];
  /** Shared seed of the view model (docs/protocol.md §7). */
  seed: string;
  /** The catalog this node hosts and reports views of. */
  content: ContentItem[];
  timing: TimingMs;
  /** Reporting accuracy; defaults from the persona (bot-charlie 0.5, others 1.0). */
  accuracy?: number;
  /** Bounds of a large network (bounds.ts); unset means their defaults. */
  scale?: ScaleBounds;
}

/** One message to send: `to` is the peer's node id, `queueUrl` an allowed URL. */
export interface Send {
  to: string;
  queueUrl: string;
  message: Message;
}

export type PeerStatus = "alive" | "suspect" | "dead";

/** What happened inside the core: for logs (state changes at info), metrics and checkers. */
export type NodeEvent =
  | { type: "peer_added"; peer: string; via: "hello" | "peer_list" | "bootstrap" | "message" }
  | { type: "peer_status"; peer: string; from: PeerStatus; to: PeerStatus }
  | { type: "peer_forgotten"; peer: string }
  | { type: "peer_flagged"; peer: string; score: number }
  | { type: "peer_unflagged"; peer: string; score: number }
  /** We choked or unchoked a peer. */
  | { type: "choke_changed"; peer: string; choked: boolean; optimistic: boolean }
  /** A peer told us it chokes / unchokes us. */
  | { type: "choking_us_changed"; peer: string; choking: boolean }
  | { type: "rejected"; reason: RejectReason; detail: string; path?: string; sender?: string }
  | { type: "duplicate"; sender: string; msgId: string }
  | { type: "url_rejected"; peer: string; url: string; reason: string }
  | { type: "dropped"; what: DropKind; count: number; peer?: string }
  | { type: "joined"; via: string }
  | {
      type: "audit";
      content_id: string;
      epoch: number;
      agreed_count: number;
      confidence: number;
      voters: string[];
    };

export type DropKind =
  | "peer_list_over_max"
  | "peers_table_full"
  | "self_in_peer_list"
  | "stale_view_event"
  | "unknown_pong"
  | "from_unknown_peer"
  /** A message naming this node as its sender (the notebook's echo to self). */
  | "from_self"
  /** The audit table is at its bound; the report was not kept. */
  | "reports_table_full"
  /** A send found the peer's queue missing: silence, never retried. */
  | "queue_missing";

/**
 * A dedupe key the node now remembers (a handled message, a counted vote),
 * for the runtime to keep across a restart: a message handled again after a
 * crash would send its replies twice, a vote would count twice.
 */
export interface Remembered {
  table: "message" | "event";
  key: string;
  atMs: number;
}

export interface Output {
  sends: Send[];
  events: NodeEvent[];
  /**
   * What `receive` found the body to be, so the runtime can record it without
   * parsing it again: its sender ("?" when it names none), type ("?" when it
   * has none) and msg_id ("" unless it parsed).
   */
  received?: { sender: string; type: string; msgId: string };
  /** Keys remembered while producing this output; absent when none. */
  remembered?: Remembered[];
}

export interface ReputationSnapshot {
  score: number;
  agree: number;
  disagree: number;
  /** Audited reports counted, before forgetting. */
  reports: number;
}

export interface PeerSnapshot {
  id: string;
  queueUrl: string;
  status: PeerStatus;
  lastSeenMs: number;
  knownSinceMs: number;
  /** Latest PING round trip, ms; null before any PONG. */
  rttMs: number | null;
  /** Median of this peer's recent round trips (the last `rttSamplesMax`), ms; null before any PONG. */
  rttP50Ms: number | null;
  reputation: ReputationSnapshot;
  flagged: boolean;
  /** We choke this peer. */
  choked: boolean;
  /** This peer told us it chokes us. */
  chokingUs: boolean;
}

export interface AuditRecord {
  content_id: string;
  epoch: number;
  agreed_count: number;
  confidence: number;
  voters: string[];
  atMs: number;
}

/** An AUDIT_RESULT a peer published, set beside this node's own audit of that content. */
export interface ReceivedAudit {
  from: string;
  content_id: string;
  agreed_count: number;
  confidence: number;
  voters: string[];
  atMs: number;
  /**
   * Whether it agrees with this node's own audit of the epoch it most likely
   * covers (the one before its timestamp's, or the one before that); null
   * when this node has not audited that epoch.
   */
  matchesOwn: boolean | null;
}

/** What one sender sent this node (senders.ts): bounded counts, and the last body that broke a rule. */
export interface SenderSnapshot {
  id: string;
  /** Messages that parsed, by type (duplicates included: they did arrive). */
  in: Partial<Record<MessageType, number>>;
  /** Bodies that did not parse but named this sender, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** The latest of them: its body cut and escaped (senders.ts), and the validation message. */
  lastRejection: { reason: RejectReason; detail: string; body: string; atMs: number } | null;
  lastHeardMs: number;
}

export interface NodeCounters {
  in: Record<MessageType, number>;
  out: Record<MessageType, number>;
  rejected: Partial<Record<RejectReason, number>>;
  urlRejected: number;
  duplicates: number;
  dropped: Partial<Record<DropKind, number>>;
}

export interface NodeSnapshot {
  id: string;
  persona: Persona;
  atMs: number;
  peers: PeerSnapshot[];
  counters: NodeCounters;
  /** Median of recent PING round trips over all peers, ms; null before any. */
  rttP50Ms: number | null;
  /** Most recent audits, newest last, bounded. */
  audits: AuditRecord[];
  /** Most recent AUDIT_RESULTs received from peers, newest last, bounded. */
  peerAudits: ReceivedAudit[];
  /** What each sender sent, at most `LIMITS.peersMax` of them, least recently heard first. */
  senders: SenderSnapshot[];
}

/**
 * One node as a pure state machine (STYLE.md, quinn-proto): a received body
 * or a tick and the current time go in, messages to send and events come out.
 * No timers, no I/O, no reading of the wall clock or of the platform's
 * random source inside. Repeated ticks at the same time do nothing.
 */
export interface NodeCore {
  readonly id: string;
  readonly persona: Persona;
  /** HELLO to the bootstrap nodes; arms every periodic task. */
  start(nowMs: number): Output;
  /** Parses and handles one queue message body; a bad body becomes a `rejected` event. */
  receive(body: string, nowMs: number): Output;
  /** Handles one already-parsed message. */
  handle(message: Message, nowMs: number): Output;
  /** Runs every periodic task that is due at `nowMs`. */
  tick(nowMs: number): Output;
  /** The earliest time a tick has work to do. */
  nextDeadlineMs(): number;
  /** A send to this peer failed with QueueDoesNotExist: a fact about the peer (silence), not a reason to retry. */
  queueMissing(peer: string, nowMs: number): Output;
  /**
   * Forgets handled messages whose replies never reached SQS, so that their
   * redelivery is handled again and answered. Counted votes stay counted.
   */
  forget(remembered: readonly Remembered[]): void;
  snapshot(nowMs: number): NodeSnapshot;
  /** What a restarted node needs to remember: peers, reputations, who is flagged. */
  exportState(): PersistedState;
}
