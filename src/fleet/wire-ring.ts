import type { WireRecord } from "../runtime/wire-record.ts";

/**
 * The fleet's message timeline: the last `recordsMax` WireRecords of every
 * node, oldest first, each with a sequence number so that a page can ask for
 * only what is new. What the workers could not fit in a report is counted.
 */
export interface WireRing {
  add(records: readonly WireRecord[], droppedAtNode?: number): void;
  /** The records after sequence number `afterSeq` still held (all of them for -1), oldest first. */
  since(afterSeq: number): { records: WireRecord[]; lastSeq: number };
  readonly size: number;
  /** Records ever added, and records the nodes dropped at their per-report bound. */
  readonly added: number;
  readonly droppedAtNodes: number;
}

/** Default: the last 5,000 messages of the fleet, a few minutes of three bots at default timing. */
export const WIRE_RING_MAX = 5_000;

export function createWireRing(recordsMax = WIRE_RING_MAX): WireRing {
  const buf: WireRecord[] = new Array(recordsMax);
  let next = 0; // sequence number of the next record; record seq lives at buf[seq % recordsMax]
  let dropped = 0;
  return {
    add(records, droppedAtNode = 0) {
      dropped += droppedAtNode;
      for (const r of records) {
        buf[next % recordsMax] = r;
        next += 1;
      }
    },
    since(afterSeq) {
      const first = Math.max(afterSeq + 1, next - recordsMax, 0);
      const records: WireRecord[] = [];
      for (let seq = first; seq < next; seq += 1) records.push(buf[seq % recordsMax]!);
      return { records, lastSeq: next - 1 };
    },
    get size() {
      return Math.min(next, recordsMax);
    },
    get added() {
      return next;
    },
    get droppedAtNodes() {
      return dropped;
    },
  };
}
