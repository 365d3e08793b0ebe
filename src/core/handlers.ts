import { checkQueueUrl, parseTimestampMs, queueUrlOf, type Message, type MessageOf } from "../protocol/index.ts";
import { LIMITS } from "./config.ts";
import { drop, emit, sendTo, type Ctx } from "./context.ts";
import { onChokeMessage } from "./choke.ts";
import { dedupeKey, type Dedupe } from "./dedupe.ts";
import type { Remembered } from "./types.ts";
import { sendPeerList } from "./gossip.ts";
import { onPong } from "./heartbeat.ts";
import { joined } from "./join.ts";
import { makeRoomForPartner } from "./partners.ts";
import { addPeer, forgetPeer, heardFrom, replyUrl, setQueueUrl, tableFull, urlRejected, type Peer } from "./peers.ts";
import { recordPeerAudit } from "./audit.ts";
import { recordReport } from "./reports.ts";
import { onRumour, refute } from "./rumours.ts";
import { epochOf, isViewTimely } from "./views.ts";

/**
 * Handles one parsed message (docs/protocol.md §3).
 *
 * Who may introduce a new peer: HELLO (that is its purpose), PEER_LIST (its
 * sender and its entries), and PING, VIEW_EVENT, AUDIT_RESULT, whose sender
 * is a node taking part ("any message from a peer counts as a sign of
 * life"); it is added with its naming-scheme URL, within the 500 bound. A
 * PONG or CHOKE/UNCHOKE from a stranger only makes sense as an answer to
 * something we sent, so it is dropped and adds no one.
 */
export function handleMessage(ctx: Ctx, m: Message, nowMs: number): void {
  if (m.sender === ctx.config.id) {
    drop(ctx, "from_self", 1, m.sender);
    return;
  }
  if (ctx.seen.hasPair(m.sender, m.msg_id, nowMs)) {
    ctx.counters.duplicates++;
    emit(ctx, { type: "duplicate", sender: m.sender, msgId: m.msg_id });
    return;
  }
  // Handled: an echo of our own and a repeat are counted apart (dropped, duplicates).
  ctx.counters.in[m.type]++;
  dispatch(ctx, m, nowMs);
  // Remembered only once handled: a handler that throws (a bug) leaves the
  // message unknown, so its redelivery is tried again instead of passing as a repeat.
  remember(ctx, ctx.seen, "message", m.sender, m.msg_id, nowMs);
}

/** Notes a dedupe key in its table and in the output, for the runtime to keep across restarts. */
function remember(ctx: Ctx, table: Dedupe, name: Remembered["table"], a: string, b: string, nowMs: number): void {
  table.addPair(a, b, nowMs);
  if (ctx.reportRemembered) (ctx.out.remembered ??= []).push({ table: name, key: dedupeKey(a, b), atMs: nowMs });
}

function dispatch(ctx: Ctx, m: Message, nowMs: number): void {
  switch (m.type) {
    case "HELLO":
      return onHello(ctx, m, nowMs);
    case "PEER_LIST":
      return onPeerList(ctx, m, nowMs);
    case "PING":
      return onPing(ctx, m, nowMs);
    case "PONG":
      return onPong(ctx, ctx.peers.get(m.sender), m.sender, m.seq, nowMs);
    case "VIEW_EVENT":
      return onViewEvent(ctx, m, nowMs);
    case "AUDIT_RESULT":
      return onAuditResult(ctx, m, nowMs);
    case "CHOKE":
    case "UNCHOKE":
      return onChoke(ctx, m, nowMs);
  }
}

/**
 * The sender as a peer: known, or added with its naming-scheme URL (null
 * when the table is full). A `contribution` (a report) from a stranger that
 * ranks as a partner may make room in a full table (partners.ts).
 */
function senderPeer(ctx: Ctx, id: string, nowMs: number, contribution = false): Peer | null {
  if (contribution && !ctx.peers.has(id) && tableFull(ctx)) makeRoomForPartner(ctx, id, (victim) => forgetPeer(ctx, victim));
  const p = ctx.peers.get(id) ?? addPeer(ctx, id, queueUrlOf(ctx.config.network, id), nowMs, "message");
  if (p) heardFrom(ctx, p, nowMs);
  return p;
}

/** Adds or refreshes the sender and always answers with a PEER_LIST, choked or not. */
function onHello(ctx: Ctx, m: MessageOf<"HELLO">, nowMs: number): void {
  const url = replyUrl(ctx, m.sender, m.queue_url);
  let p = ctx.peers.get(m.sender) ?? null;
  if (p) setQueueUrl(ctx, p, url);
  else p = addPeer(ctx, m.sender, url, nowMs, "hello");
  if (p) heardFrom(ctx, p, nowMs);
  sendPeerList(ctx, m.sender, url, nowMs);
}

/** Merges the peers we did not know (never ourselves) and says HELLO to each. */
function onPeerList(ctx: Ctx, m: MessageOf<"PEER_LIST">, nowMs: number): void {
  // Copied only when cut: a list within the bound is read as it came.
  const entries = m.peers.length > LIMITS.peerListMax ? m.peers.slice(0, LIMITS.peerListMax) : m.peers;
  drop(ctx, "peer_list_over_max", m.peers.length - entries.length, m.sender);
  if (!ctx.peers.has(m.sender)) {
    const own = entries.find((e) => e.node_id === m.sender);
    addPeer(ctx, m.sender, replyUrl(ctx, m.sender, own?.queue_url), nowMs, "peer_list");
  }
  const sender = ctx.peers.get(m.sender);
  if (sender) heardFrom(ctx, sender, nowMs);
  let fullCount = 0;
  for (const e of entries) {
    if (e.node_id === ctx.config.id) {
      drop(ctx, "self_in_peer_list", 1, m.sender, true);
      if (e.status === "suspect" || e.status === "dead") refute(ctx, e.incarnation ?? 0, sender, nowMs);
      continue;
    }
    const known = ctx.peers.get(e.node_id);
    if (known !== undefined) {
      // The sender's own entry speaks for itself: its incarnation, if any, is a refutation.
      const status = e.node_id === m.sender ? (e.incarnation === undefined ? undefined : "alive") : e.status;
      if (status !== undefined) onRumour(ctx, known, status, e.incarnation ?? 0, nowMs);
      continue;
    }
    // News of a stranger's suspicion or death introduces no one.
    if (e.node_id === m.sender || e.status === "suspect" || e.status === "dead") continue;
    if (tableFull(ctx)) {
      // Counted once for the list: a full table meets most entries of every list in a large network.
      fullCount++;
      continue;
    }
    const verdict = checkQueueUrl(ctx.config.network, e.queue_url ?? queueUrlOf(ctx.config.network, e.node_id), e.node_id);
    if (!verdict.ok) {
      urlRejected(ctx, e.node_id, e.queue_url ?? "", verdict.reason);
      continue;
    }
    const p = addPeer(ctx, e.node_id, verdict.url, nowMs, "peer_list");
    if (p) sendTo(ctx, p.id, p.queueUrl, "HELLO", nowMs, { queue_url: ctx.selfUrl });
  }
  drop(ctx, "peers_table_full", fullCount, m.sender);
  joined(ctx, m.sender);
}

/** PONG with the same seq, choked or not: liveness is never withheld. */
function onPing(ctx: Ctx, m: MessageOf<"PING">, nowMs: number): void {
  const p = senderPeer(ctx, m.sender, nowMs);
  sendTo(ctx, m.sender, p?.queueUrl ?? queueUrlOf(ctx.config.network, m.sender), "PONG", nowMs, { seq: m.seq });
}

/** Records the report for its epoch's audit, once per (sender, event_id). */
function onViewEvent(ctx: Ctx, m: MessageOf<"VIEW_EVENT">, nowMs: number): void {
  const p = senderPeer(ctx, m.sender, nowMs, true);
  if (!p) return;
  const tsMs = parseTimestampMs(m.timestamp);
  const { epochMs } = ctx.config.timing;
  if (tsMs === null || !isViewTimely(tsMs, nowMs, epochMs)) {
    drop(ctx, "stale_view_event", 1, m.sender);
    return;
  }
  // Keyed with the sender so that nobody can suppress another node's event by sending its id first.
  if (ctx.seenEvents.hasPair(m.sender, m.event_id, nowMs)) {
    ctx.counters.duplicates++;
    emit(ctx, { type: "duplicate", sender: m.sender, msgId: m.msg_id });
    return;
  }
  remember(ctx, ctx.seenEvents, "event", m.sender, m.event_id, nowMs);
  const result = recordReport(ctx.reports, m.sender, m.content_id, epochOf(tsMs, epochMs), { count: m.count, tsMs });
  if (result === "audited") drop(ctx, "stale_view_event", 1, m.sender);
  else if (result === "full") drop(ctx, "reports_table_full", 1, m.sender);
  else p.lastContributionMs = nowMs;
}

/**
 * Recorded beside our own audit and noted as a contribution (§4.4). It does
 * not change our vote: each node audits for itself, and a liar's result must
 * not steer an honest node.
 */
function onAuditResult(ctx: Ctx, m: MessageOf<"AUDIT_RESULT">, nowMs: number): void {
  const p = senderPeer(ctx, m.sender, nowMs, true);
  if (!p) return;
  p.lastContributionMs = nowMs;
  recordPeerAudit(ctx, m, nowMs);
}

function onChoke(ctx: Ctx, m: MessageOf<"CHOKE"> | MessageOf<"UNCHOKE">, nowMs: number): void {
  const p = ctx.peers.get(m.sender);
  if (!p) {
    drop(ctx, "from_unknown_peer", 1, m.sender);
    return;
  }
  heardFrom(ctx, p, nowMs);
  onChokeMessage(ctx, p, m.type === "CHOKE");
}
