import { WIRE_BODY_MAX_CHARS, type WireRecord } from "./wire-record.ts";

/**
 * What one node sent and received since the last health report, as
 * WireRecords for the fleet's timeline. Bounded per report: past
 * `recordsMax` records the rest are only counted, so a flood cannot make one
 * report (and the supervisor's copy of it) grow without end.
 */
export interface WireRecorder {
  sent(to: string, type: string, msgId: string, body: string, atMs: number): void;
  received(from: string, type: string, msgId: string, body: string, atMs: number): void;
  /** The records since the last drain, and how many did not fit. */
  drain(): { records: WireRecord[]; dropped: number };
}

export function createWireRecorder(observer: string, recordsMax: number): WireRecorder {
  let records: WireRecord[] = [];
  let dropped = 0;
  const add = (dir: WireRecord["dir"], from: string, to: string, type: string, msgId: string, body: string, atMs: number) => {
    if (records.length >= recordsMax) {
      dropped += 1;
      return;
    }
    // The body is the string already encoded for the wire (or taken from it): cut, never serialised again.
    records.push({ atMs, observer, dir, from, to, type, msgId, size: Buffer.byteLength(body, "utf8"), body: body.length > WIRE_BODY_MAX_CHARS ? body.slice(0, WIRE_BODY_MAX_CHARS) : body });
  };
  return {
    sent: (to, type, msgId, body, atMs) => add("out", observer, to, type, msgId, body, atMs),
    received: (from, type, msgId, body, atMs) => add("in", from, observer, type, msgId, body, atMs),
    drain() {
      const out = { records, dropped };
      records = [];
      dropped = 0;
      return out;
    },
  };
}
