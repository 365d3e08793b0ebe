/** Message timelines built by hand for the space-time diagram: deterministic, with known pairs and stubs. */
import type { WireRecord } from "../../src/runtime/wire-record.ts";

const TYPES = ["PING", "PONG", "PEER_LIST", "VIEW_EVENT", "HELLO", "AUDIT_RESULT"] as const;

/** `from` sends `type` to `to` at `atMs`, received `latencyMs` later: the two records of one message. */
export function exchange(from: string, to: string, type: string, msgId: string, atMs: number, latencyMs = 7): [WireRecord, WireRecord] {
  const body = JSON.stringify({ type, sender: from, msg_id: msgId, timestamp: new Date(atMs).toISOString() });
  const base = { from, to, type, msgId, size: body.length, body };
  return [
    { ...base, atMs, observer: from, dir: "out" },
    { ...base, atMs: atMs + latencyMs, observer: to, dir: "in" },
  ];
}

/**
 * `messages` messages among `nodes` (2 records each): message i goes from
 * node i mod n to node (i*7+1) mod n (never itself), type by i, 20 ms apart.
 */
export function timeline(messages: number, nodes: readonly string[], startMs = Date.UTC(2026, 11, 1, 9, 0, 0)): WireRecord[] {
  const out: WireRecord[] = [];
  for (let i = 0; i < messages; i += 1) {
    const from = nodes[i % nodes.length]!;
    let to = nodes[(i * 7 + 1) % nodes.length]!;
    if (to === from) to = nodes[(i + 1) % nodes.length]!;
    out.push(...exchange(from, to, TYPES[i % TYPES.length]!, `m${i}`, startMs + i * 20, 5 + (i % 11)));
  }
  return out;
}
