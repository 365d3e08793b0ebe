/**
 * One message as it crossed a queue, seen by one party: what the message
 * timeline (the fleet's ring, `fleet up --trace`, the checker's report)
 * records and the space-time diagram draws. A message sent by one fleet node
 * to another is seen twice: `out` at the sender, `in` at the receiver; the
 * pair shares `from` and `msgId`.
 */
export interface WireRecord {
  /** When the observer saw it, ms since the epoch, by the observer's clock. */
  atMs: number;
  /** The fleet node or checker probe that saw it. */
  observer: string;
  dir: "out" | "in";
  /** Sender's node id; "?" when a received body names none. */
  from: string;
  /** Receiver's node id. */
  to: string;
  /** Protocol type, or "?" for a body that is not a protocol message. */
  type: string;
  /** The message's msg_id; "" when it has none. */
  msgId: string;
  /** Bytes of the body. */
  size: number;
  /** The body, cut to `WIRE_BODY_MAX_CHARS` (for a click on an arrow). */
  body: string;
}

/** Bodies kept in a record are cut to this many characters. */
export const WIRE_BODY_MAX_CHARS = 2_000;
