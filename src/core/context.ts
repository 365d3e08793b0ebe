import { build, MESSAGE_TYPES, type MessageOf, type MessageType, type PeerEntry } from "../protocol/index.ts";
import type { ScaleBounds } from "./settings.ts";
import type { PartnerSet } from "./partners.ts";
import type { ProbeRound } from "./probe.ts";
import type { Rng } from "./rng.ts";
import type { RumourTable } from "./rumours.ts";
import type { Dedupe } from "./dedupe.ts";
import type { Peer, PeerTable } from "./peers.ts";
import type { ReportTable } from "./reports.ts";
import type { ReputationTable } from "./reputation-table.ts";
import type { SenderTable } from "./senders.ts";
import type { Timers } from "./timers.ts";
import type { AuditRecord, ReceivedAudit, DropKind, NodeConfig, NodeCounters, NodeEvent, Output } from "./types.ts";

/** Everything one node knows; each concern's file works on its own part. */
export interface Ctx {
  config: NodeConfig;
  accuracy: number;
  /** msg_ids, gossip targets, optimistic choices. */
  rng: Rng;
  /** Honest-or-not draws of the view model, apart so they replay whatever else happens. */
  viewRng: Rng;
  /** Per hosted item (index of config.content): the epoch last reported and the count drawn for it. */
  viewDraws: Array<{ epoch: number; count: number } | undefined>;
  selfUrl: string;
  peers: PeerTable;
  /** The same peers in an array, in no order: random picks without copying the table (gossip.ts). */
  peerSlots: Peer[];
  /**
   * Per slot: 1 when its peer is live (not dead), and its PEER_LIST entry
   * once made (null after its URL changed). A pick reads these dense arrays
   * instead of one peer object per draw, each a cache miss in a large run.
   */
  slotLive: Uint8Array;
  slotEntries: Array<PeerEntry | null>;
  /** Peers whose status is dead: a full table looks for one to evict only when there is one. */
  deadPeers: number;
  reputations: ReputationTable;
  /** (sender, msg_id) of handled messages. */
  seen: Dedupe;
  /** (sender, event_id) of recorded VIEW_EVENTs. */
  seenEvents: Dedupe;
  reports: ReportTable;
  audits: AuditRecord[];
  peerAudits: ReceivedAudit[];
  counters: NodeCounters;
  /** Per-sender counts and the last offending body: what the fleet's network view shows. */
  senders: SenderTable;
  timers: Timers;
  /** Last PING seq used; every PING gets a fresh one. */
  seq: number;
  /** When the node (re)started: epochs that began before it were not lived through. */
  startedMs: number;
  join: { done: boolean; attempts: number };
  optimisticPeer: string | null;
  /** Bounds of a large network, defaults filled. */
  scale: ScaleBounds;
  partners: PartnerSet;
  probe: ProbeRound;
  /** The last heartbeat PINGed every due peer: the network fits in the bounds, and no rumour is needed. */
  probingAll: boolean;
  rumours: RumourTable;
  /** Ours: raised only to refute a suspicion of us (rumours.ts). */
  incarnation: number;
  /** What the current call produces; reset by every entry point. */
  out: Output;
  /** Whether `out.remembered` lists the keys each call remembers (node.ts CoreOptions). */
  reportRemembered: boolean;
}

export function emptyNodeCounters(): NodeCounters {
  const zero = () => Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])) as Record<MessageType, number>;
  return { in: zero(), out: zero(), rejected: {}, urlRejected: 0, duplicates: 0, dropped: {} };
}

export function emit(ctx: Ctx, event: NodeEvent): void {
  ctx.out.events.push(event);
}

/** Counts a drop; `quiet` drops are routine (our own id in a peer's list) and get no event. */
export function drop(ctx: Ctx, what: DropKind, count = 1, peer?: string, quiet = false): void {
  if (count <= 0) return;
  ctx.counters.dropped[what] = (ctx.counters.dropped[what] ?? 0) + count;
  if (!quiet) emit(ctx, peer === undefined ? { type: "dropped", what, count } : { type: "dropped", what, count, peer });
}

type Extra<T extends MessageType> = Omit<MessageOf<T>, "type" | "sender" | "timestamp" | "msg_id">;

/** Queues one message to an already allowed URL, with a fresh msg_id. */
export function sendTo<T extends MessageType>(
  ctx: Ctx,
  to: string,
  queueUrl: string,
  type: T,
  nowMs: number,
  extra: Extra<T>,
): void {
  const message = build(type, { sender: ctx.config.id, nowMs, msgId: ctx.rng.hex(8) }, extra);
  ctx.counters.out[type]++;
  ctx.out.sends.push({ to, queueUrl, message });
}
