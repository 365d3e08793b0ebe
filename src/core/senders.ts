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
  /** Its rows in the table's counts: fixed for the entry's life, whoever it is taken over for. */
  row: number;
  /** Null until the sender's first rejected body: most senders never send one, and an empty object per sender is 80 bytes. */
  rejected: Partial<Record<RejectReason, number>> | null;
  last: SenderSnapshot["lastRejection"];
  lastHeardMs: number;
  /** The number of its latest touch: of all entries, the lowest is the one heard from least recently. */
  touched: number;
}

/**
 * Recency without relinking: each touch gives the entry the next number and
 * appends (entry, number) to a log. The log's oldest record whose number is
 * still its entry's is the least recently heard sender; older records are
 * spent and skipped. A list through the entries did the same by moving one
 * entry and writing its two neighbours on every message, three objects
 * each a cache miss in a large run; the log is written in order.
 */
export function createSenderTable(sendersMax: number): SenderTable {
  const entries = new Map<string, Entry>();
  // Messages by type per entry, MESSAGE_TYPES order, one row of TYPES each.
  let counts = new Float64Array(TYPES * Math.min(sendersMax, 64));
  let logged: Entry[] = [];
  let loggedAt: number[] = [];
  let head = 0;
  let touches = 0;
  const spent = (i: number) => loggedAt[i] !== logged[i]!.touched;
  /** Keeps only the records that still count, in order, once most of the log is spent. */
  const compact = () => {
    const keep: Entry[] = [];
    const keepAt: number[] = [];
    for (let i = head; i < logged.length; i++) {
      if (spent(i)) continue;
      keep.push(logged[i]!);
      keepAt.push(loggedAt[i]!);
    }
    logged = keep;
    loggedAt = keepAt;
    head = 0;
  };
  const leastRecent = (): Entry => {
    while (spent(head)) head++;
    return logged[head]!;
  };
  const touch = (id: string, nowMs: number): Entry => {
    let e = entries.get(id);
    if (e === undefined) {
      if (entries.size >= sendersMax && entries.size > 0) {
        // The sender heard from least recently makes room, and its entry is taken over: a large network
        // brings a new sender to a full table at about every message, and nothing is allocated for it.
        e = leastRecent();
        entries.delete(e.id);
        e.id = id;
        counts.fill(0, e.row * TYPES, (e.row + 1) * TYPES);
        e.rejected = null;
        e.last = null;
      } else {
        const row = entries.size;
        if ((row + 1) * TYPES > counts.length) {
          const grown = new Float64Array(Math.max((row + 1) * TYPES, Math.min(2 * counts.length, TYPES * sendersMax)));
          grown.set(counts);
          counts = grown;
        }
        e = { id, row, rejected: null, last: null, lastHeardMs: nowMs, touched: 0 };
      }
      entries.set(id, e);
    }
    e.lastHeardMs = nowMs;
    e.touched = ++touches;
    logged.push(e);
    loggedAt.push(touches);
    // Spent records are dropped once they outnumber the entries several times over, or fill most of the log's front.
    if (logged.length - head > 4 * entries.size + 64 || (head > 1024 && 2 * head > logged.length)) compact();
    return e;
  };
  return {
    get size() {
      return entries.size;
    },
    received(sender, type, nowMs) {
      const at = touch(sender, nowMs).row * TYPES + TYPE_INDEX[type];
      counts[at] = counts[at]! + 1;
    },
    rejected(r, body, nowMs) {
      if (!isNodeId(r.sender)) return;
      const e = touch(r.sender, nowMs);
      const rejected = (e.rejected ??= {});
      rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      e.last = { reason: r.reason, detail: r.detail, body: offendingBody(body), atMs: nowMs };
    },
    snapshot() {
      // Oldest first: the records that still count, in the log's order.
      const out: SenderSnapshot[] = [];
      for (let i = head; i < logged.length; i++) if (!spent(i)) out.push(snapshotOf(logged[i]!, counts));
      return out;
    },
  };
}

function snapshotOf(e: Entry, counts: Float64Array): SenderSnapshot {
  return {
    id: e.id,
    in: countsByType(counts, e.row * TYPES),
    rejected: e.rejected === null ? {} : { ...e.rejected },
    lastRejection: e.last ? { ...e.last } : null,
    lastHeardMs: e.lastHeardMs,
  };
}

const TYPES = MESSAGE_TYPES.length;
const TYPE_INDEX = Object.fromEntries(MESSAGE_TYPES.map((t, i) => [t, i])) as Record<MessageType, number>;

/** The types a sender sent, with their counts; types it never sent are left out. */
function countsByType(counts: Float64Array, from: number): Partial<Record<MessageType, number>> {
  const out: Partial<Record<MessageType, number>> = {};
  MESSAGE_TYPES.forEach((t, i) => {
    if (counts[from + i]! > 0) out[t] = counts[from + i]!;
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
