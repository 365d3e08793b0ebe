import { isNodeId, MESSAGE_TYPES, type MessageType, type RejectReason, type Rejection } from "../protocol/index.ts";
import type { Ctx } from "./context.ts";
import type { SenderSnapshot } from "./types.ts";

/** The last offending body is kept cut to this many characters, after its control characters are escaped. */
export const OFFENDING_BODY_MAX_CHARS = 300;

/**
 * What each sender sent this node: messages by type, and rejected bodies by
 * reason with the last one. A rejection is put down to a sender only when the
 * body is a JSON object whose `sender` is a valid node id (parse gives it from
 * missing_type on); anything less names no one, and only the node's own
 * counters see it. The table holds at most `sendersMax` entries (the peer
 * table's size); the sender heard from least recently makes room, so a flood
 * of forged names can push out the counts of quiet senders but never grow
 * the table, and a sender that keeps talking keeps its entry.
 */
export interface SenderTable {
  readonly size: number;
  received(sender: string, type: MessageType, nowMs: number): void;
  rejected(r: Rejection, body: string, nowMs: number): void;
  snapshot(): SenderSnapshot[];
}

interface Entry {
  id: string;
  /** Messages by type, in MESSAGE_TYPES order: a fixed array, where a record keyed by type name took a keyed lookup per message. */
  in: Float64Array;
  /** Null until the sender's first rejected body: most senders never send one, and an empty object per sender is 80 bytes. */
  rejected: Partial<Record<RejectReason, number>> | null;
  last: SenderSnapshot["lastRejection"];
  lastHeardMs: number;
  /** Neighbours in recency order (older, newer); null at the ends. */
  older: Entry | null;
  newer: Entry | null;
}

export function createSenderTable(sendersMax: number): SenderTable {
  // Recency is a list through the entries, oldest first: a sender heard again moves to the newest end
  // by relinking, where deleting and re-inserting its Map key cost a large run more than the rest of the table.
  const entries = new Map<string, Entry>();
  let oldest: Entry | null = null;
  let newest: Entry | null = null;
  const unlink = (e: Entry) => {
    if (e.older) e.older.newer = e.newer;
    else oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else newest = e.older;
    e.older = e.newer = null;
  };
  const touch = (id: string, nowMs: number): Entry => {
    let e = entries.get(id);
    if (e) {
      if (e !== newest) unlink(e);
    } else {
      e = { id, in: new Float64Array(MESSAGE_TYPES.length), rejected: null, last: null, lastHeardMs: nowMs, older: null, newer: null };
      if (entries.size >= sendersMax && oldest !== null) {
        entries.delete(oldest.id);
        unlink(oldest);
      }
      entries.set(id, e);
    }
    e.lastHeardMs = nowMs;
    if (e !== newest) {
      e.older = newest;
      if (newest) newest.newer = e;
      else oldest = e;
      newest = e;
    }
    return e;
  };
  return {
    get size() {
      return entries.size;
    },
    received(sender, type, nowMs) {
      const counts = touch(sender, nowMs).in;
      const i = TYPE_INDEX[type];
      counts[i] = counts[i]! + 1;
    },
    rejected(r, body, nowMs) {
      if (!isNodeId(r.sender)) return;
      const e = touch(r.sender, nowMs);
      const rejected = (e.rejected ??= {});
      rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      e.last = { reason: r.reason, detail: r.detail, body: offendingBody(body), atMs: nowMs };
    },
    snapshot() {
      const out: SenderSnapshot[] = [];
      for (let e = oldest; e !== null; e = e.newer) out.push(snapshotOf(e));
      return out;
    },
  };
}

function snapshotOf(e: Entry): SenderSnapshot {
  return {
    id: e.id,
    in: countsByType(e.in),
    rejected: e.rejected === null ? {} : { ...e.rejected },
    lastRejection: e.last ? { ...e.last } : null,
    lastHeardMs: e.lastHeardMs,
  };
}

const TYPE_INDEX = Object.fromEntries(MESSAGE_TYPES.map((t, i) => [t, i])) as Record<MessageType, number>;

/** The types a sender sent, with their counts; types it never sent are left out. */
function countsByType(counts: Float64Array): Partial<Record<MessageType, number>> {
  const out: Partial<Record<MessageType, number>> = {};
  MESSAGE_TYPES.forEach((t, i) => {
    if (counts[i]! > 0) out[t] = counts[i]!;
  });
  return out;
}

/** Records what a received body was, for the sender table: a message by its sender, a rejection by its claimed one. */
export function recordReceived(ctx: Ctx, sender: string, type: MessageType, nowMs: number): void {
  if (sender !== ctx.config.id) ctx.senders.received(sender, type, nowMs);
}

/**
 * A body as a log line can show it: control characters (and the line
 * separators U+2028/2029) written as escapes, then cut to
 * OFFENDING_BODY_MAX_CHARS with an ellipsis.
 */
export function offendingBody(body: string): string {
  let out = "";
  // an escape is never split by the cut: whole pieces only, and room kept for the ellipsis
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i]!;
    const piece = CONTROL.test(ch) ? escapeChar(ch) : ch;
    if (out.length + piece.length > OFFENDING_BODY_MAX_CHARS || (out.length + piece.length === OFFENDING_BODY_MAX_CHARS && i < body.length - 1)) {
      return `${out}…`;
    }
    out += piece;
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
function escapeChar(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
