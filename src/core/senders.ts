import { isNodeId, MESSAGE_TYPES, type MessageType, type RejectReason, type Rejection } from "../protocol/index.ts";
import type { Ctx } from "./context.ts";
import { HashIndex, hashString } from "./hash-index.ts";
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

/**
 * The table as parallel arrays by row, found through a HashIndex of the
 * sender's id: in a 1,000-node network a new sender comes to the full
 * table at one message in 5 to 7, and a Map of entry objects spent more on
 * that turnover (an allocation and an unlink each time) than on the lookups.
 *
 * Recency without relinking: each touch gives the row the next number and
 * appends (row, number) to a log. The log's oldest record whose number is
 * still its row's is the least recently heard sender; older records are
 * spent and skipped.
 */
export function createSenderTable(sendersMax: number): SenderTable {
  const index = new HashIndex(Math.min(sendersMax, 64));
  const ids: string[] = [];
  const idHashes: number[] = [];
  const heardMs: number[] = [];
  /** The number of each row's latest touch: the lowest is the sender heard from least recently. */
  const touched: number[] = [];
  /** Null until the sender's first rejected body: most senders never send one. */
  const rejectedBy: Array<Partial<Record<RejectReason, number>> | null> = [];
  const lastRejection: Array<SenderSnapshot["lastRejection"]> = [];
  // Messages by type per row, MESSAGE_TYPES order, TYPES columns.
  let counts = new Float64Array(TYPES * Math.min(sendersMax, 64));
  let loggedRow: number[] = [];
  let loggedAt: number[] = [];
  let head = 0;
  let touches = 0;
  const spent = (i: number) => loggedAt[i] !== touched[loggedRow[i]!];
  /** Keeps only the records that still count, in order. */
  const compact = () => {
    const rows: number[] = [];
    const at: number[] = [];
    for (let i = head; i < loggedRow.length; i++) {
      if (spent(i)) continue;
      rows.push(loggedRow[i]!);
      at.push(loggedAt[i]!);
    }
    loggedRow = rows;
    loggedAt = at;
    head = 0;
  };
  const rowOf = (id: string, hash: number): number => {
    for (let s = index.first(hash); s >= 0; s = index.next(s, hash)) {
      const row = index.valueAt(s);
      if (ids[row] === id) return row;
    }
    return -1;
  };
  const touch = (id: string, nowMs: number): number => {
    const hash = hashString(id);
    let row = rowOf(id, hash);
    if (row < 0) {
      if (ids.length >= sendersMax && ids.length > 0) {
        // The sender heard from least recently makes room, and its row is taken over.
        while (spent(head)) head++;
        row = loggedRow[head]!;
        index.removeAt(index.slotOf(idHashes[row]!, row));
        counts.fill(0, row * TYPES, (row + 1) * TYPES);
        rejectedBy[row] = null;
        lastRejection[row] = null;
      } else {
        row = ids.length;
        if ((row + 1) * TYPES > counts.length) {
          const grown = new Float64Array(Math.max((row + 1) * TYPES, Math.min(2 * counts.length, TYPES * sendersMax)));
          grown.set(counts);
          counts = grown;
        }
        rejectedBy.push(null);
        lastRejection.push(null);
      }
      ids[row] = id;
      idHashes[row] = hash;
      index.insert(hash, row);
    }
    heardMs[row] = nowMs;
    touched[row] = ++touches;
    loggedRow.push(row);
    loggedAt.push(touches);
    // Spent records are dropped once they outnumber the rows several times over, or fill most of the log's front.
    if (loggedRow.length - head > 4 * ids.length + 64 || (head > 1024 && 2 * head > loggedRow.length)) compact();
    return row;
  };
  return {
    get size() {
      return ids.length;
    },
    received(sender, type, nowMs) {
      const at = touch(sender, nowMs) * TYPES + TYPE_INDEX[type];
      counts[at] = counts[at]! + 1;
    },
    rejected(r, body, nowMs) {
      if (!isNodeId(r.sender)) return;
      const row = touch(r.sender, nowMs);
      const rejected = (rejectedBy[row] ??= {});
      rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      lastRejection[row] = { reason: r.reason, detail: r.detail, body: offendingBody(body), atMs: nowMs };
    },
    snapshot() {
      // Oldest first: the records that still count, in the log's order.
      const out: SenderSnapshot[] = [];
      for (let i = head; i < loggedRow.length; i++) {
        if (spent(i)) continue;
        const row = loggedRow[i]!;
        const rejected = rejectedBy[row];
        const last = lastRejection[row];
        out.push({
          id: ids[row]!,
          in: countsByType(counts, row * TYPES),
          rejected: rejected ? { ...rejected } : {},
          lastRejection: last ? { ...last } : null,
          lastHeardMs: heardMs[row]!,
        });
      }
      return out;
    },
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
