/**
 * Bodies no node may stumble on (docs/protocol.md, the wire format): the
 * kinds of the bad-input corpus the fleet's own nodes are tested with,
 * grouped as the checker's cases are. Each is a function of the sending
 * probe and the time, so every body is fresh.
 */
export interface BadBodyKind {
  id: string;
  title: string;
  bodies: (sender: string, nowIso: string, target: string) => string[];
}

const env = (type: unknown, sender: string, ts: string, msgId: string) => ({ type, sender, timestamp: ts, msg_id: msgId });
const j = (o: unknown) => JSON.stringify(o);

export const BAD_BODY_KINDS: BadBodyKind[] = [
  {
    id: "not-json",
    title: "not JSON (cut short, a bare NaN)",
    bodies: (s, ts) => [`{"type": "PING", "sender": "${s}"`, `{"type":"PING","sender":"${s}","timestamp":"${ts}","msg_id":"nan1","seq":NaN}`, "hello there"],
  },
  {
    id: "not-object",
    title: "JSON but not an object (array, null, string, number)",
    bodies: () => [`[{"type":"PING"}]`, "null", `"PING"`, "42"],
  },
  {
    id: "type",
    title: "no type, an unknown type, a lower-case type, a numeric type",
    bodies: (s, ts) => [
      j({ sender: s, timestamp: ts, msg_id: "nt1", seq: 1 }),
      j(env("GOSSIP", s, ts, "ut1")),
      j({ ...env("ping", s, ts, "ut2"), seq: 1 }),
      j({ ...env(7, s, ts, "ut3"), seq: 1 }),
    ],
  },
  {
    id: "field-types",
    title: "fields of the wrong type (seq as text, negative, fractional, 1e999; count negative; confidence 1.5)",
    bodies: (s, ts) => [
      j({ ...env("PING", s, ts, "wt1"), seq: "7" }),
      j({ ...env("PING", s, ts, "wt2"), seq: -1 }),
      j({ ...env("PING", s, ts, "wt3"), seq: 1.5 }),
      `{"type":"PING","sender":"${s}","timestamp":"${ts}","msg_id":"wt4","seq":1e999}`,
      j({ ...env("VIEW_EVENT", s, ts, "wt5"), event_id: "e1", content_id: "show:x", count: -5, ad_id: "ad-1" }),
      j({ ...env("AUDIT_RESULT", s, ts, "wt6"), content_id: "show:x", agreed_count: 1, confidence: 1.5, voters: [] }),
      j({ ...env("PEER_LIST", s, ts, "wt7"), peers: { node_id: "x" } }),
    ],
  },
  {
    id: "common-fields",
    title: "bad common fields (no sender, sender in capitals, a newline in it, empty and 65-character msg_id, no offset, no date)",
    bodies: (s, ts) => [
      j({ type: "PING", timestamp: ts, msg_id: "ns1", seq: 1 }),
      j({ ...env("PING", "Bot-Evil", ts, "id3"), seq: 1 }),
      j({ ...env("PING", `${s}\nforged log line`, ts, "id4"), seq: 1 }),
      j({ ...env("PING", s, ts, ""), seq: 1 }),
      j({ ...env("PING", s, ts, "m".repeat(65)), seq: 1 }),
      j({ ...env("PING", s, "2026-11-24T14:03:08", "ts1"), seq: 1 }),
      j({ ...env("PING", s, "2026-13-45T25:61:00Z", "ts2"), seq: 1 }),
    ],
  },
  {
    id: "oversized",
    title: "a body over 256 KiB",
    bodies: (s, ts) => [j({ ...env("PING", s, ts, "big1"), seq: 1, pad: "x".repeat(300 * 1024) })],
  },
  {
    id: "nesting",
    title: "JSON nested 100,000 deep",
    bodies: () => ["[".repeat(100_000) + "]".repeat(100_000)],
  },
  {
    id: "huge-list",
    title: "a PEER_LIST of 10,000 entries, the first 50 naming the node itself",
    // The entries a node looks at (the first 50) name the node itself, so that a node handling it right gains no peer from it.
  bodies: (s, ts, target) => [j({ ...env("PEER_LIST", s, ts, "huge1"), peers: Array.from({ length: 10_000 }, (_, i) => ({ node_id: i < 50 ? target : `f${i}` })) })],
  },
];
