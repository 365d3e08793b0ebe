import { queueName, type NetworkId, type UrlRejectReason } from "./queues.ts";
import type { RejectReason } from "./parse.ts";
import type { MessageType } from "./schema.ts";

/**
 * The corpus of bodies no node may stumble on (docs/protocol.md §2, WIRE-6;
 * §8, BOUND-2): each with what the protocol makes of it. The fleet's own
 * nodes are tested against all of it (test/faults/bad-input.test.ts), and
 * `fleet check` sends a node every body the protocol rejects, grouped in the
 * kinds of its transport cases. Each body is a function of who sends it, to
 * whom and when, so that every body is fresh.
 */

export interface BadBodyContext {
  /** The sending party's id. */
  sender: string;
  /** The receiving node's id. */
  target: string;
  /** The send time, ISO 8601. */
  now: string;
  net: NetworkId;
}

/** What a receiving node does with the body. */
export type BadBodyEffect =
  /** The protocol rejects it, for this reason (`parse`). */
  | { rejected: RejectReason }
  /** Valid, but dropped by the receiver's rules (named as the fleet's nodes count it), at least this many times. */
  | { dropped: string; atLeast?: number }
  /** Valid, but the queue URLs it carries are refused, at least this many. */
  | { urlRejected: UrlRejectReason; atLeast: number }
  /** Odd but valid: handled as data (a PING answered with the PONG of this seq). */
  | { handled: MessageType; pong?: number };

/** The kinds `fleet check` groups the rejected bodies in: one case each, in this order (their ids follow it). */
export const BAD_BODY_KINDS = [
  { id: "not-json", title: "not JSON (cut short, a bare NaN, plain text)" },
  { id: "not-object", title: "JSON but not an object (array, null, string, number)" },
  { id: "type", title: "no type, an unknown type, a lower-case type, a numeric type" },
  {
    id: "field-types",
    title: "fields of the wrong type or form (seq as text, negative, fractional, 1e300, 1e999, \"NaN\"; count negative or fractional; confidence 1.5; peers not a list, an entry named __proto__; an escape in a content id)",
  },
  {
    id: "common-fields",
    title: "bad common fields (no sender or msg_id; a sender empty, 64 characters, in capitals, in unicode or with a newline; a msg_id empty, 65 characters or with a NUL; a timestamp with no offset or no date)",
  },
  { id: "oversized", title: "a body over 256 KiB" },
  { id: "nesting", title: "JSON nested 100,000 deep" },
  { id: "huge-list", title: "a PEER_LIST of 10,000 entries, the first 50 naming the node itself" },
] as const;
export type BadBodyKind = (typeof BAD_BODY_KINDS)[number]["id"];

export interface BadBody {
  name: string;
  /** The check's kind it belongs to; null: the fleet's tests send it, the check does not (valid bodies whose handling is the receiver's own). */
  kind: BadBodyKind | null;
  body: (c: BadBodyContext) => string;
  effect: BadBodyEffect;
}

const env = (type: unknown, sender: string, timestamp: string, msgId: string) => ({ type, sender, timestamp, msg_id: msgId });
const ping = (c: BadBodyContext, msgId: string, fields: Record<string, unknown> = { seq: 1 }, sender = c.sender, timestamp = c.now) => JSON.stringify({ ...env("PING", sender, timestamp, msgId), ...fields });
const view = (c: BadBodyContext, msgId: string, timestamp: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...env("VIEW_EVENT", c.sender, timestamp, msgId), event_id: `ev-${msgId}`, content_id: "show:midnight-run", count: 120, ad_id: "ad-7", ...extra });
const j = (o: unknown) => JSON.stringify(o);

/** 10,000 entries in about 200 KB: the first 50 (those a node looks at) name the receiver itself, so that a node handling it right gains no peer from it. */
const hugePeerList = (c: BadBodyContext, msgId: string) => j({ ...env("PEER_LIST", c.sender, c.now, msgId), peers: Array.from({ length: 10_000 }, (_, i) => ({ node_id: i < 50 ? c.target : `f${i}` })) });

const rejected = (reason: RejectReason) => ({ rejected: reason });

export const BAD_BODIES: readonly BadBody[] = [
  { name: "not JSON", kind: "not-json", body: (c) => `{"type": "PING", "sender": "${c.sender}"`, effect: rejected("not_json") },
  { name: "NaN written as a bare word", kind: "not-json", body: (c) => `{"type":"PING","sender":"${c.sender}","timestamp":"${c.now}","msg_id":"nan1","seq":NaN}`, effect: rejected("not_json") },
  { name: "plain text", kind: "not-json", body: () => "hello there", effect: rejected("not_json") },
  { name: "a JSON array", kind: "not-object", body: () => `[{"type":"PING"}]`, effect: rejected("not_object") },
  { name: "JSON null", kind: "not-object", body: () => "null", effect: rejected("not_object") },
  { name: "a JSON string", kind: "not-object", body: () => `"PING"`, effect: rejected("not_object") },
  { name: "a JSON number", kind: "not-object", body: () => "42", effect: rejected("not_object") },
  { name: "nesting 100,000 deep", kind: "nesting", body: () => "[".repeat(100_000) + "]".repeat(100_000), effect: rejected("not_object") },
  { name: "no type", kind: "type", body: (c) => j({ sender: c.sender, timestamp: c.now, msg_id: "nt1", seq: 1 }), effect: rejected("missing_type") },
  { name: "an unknown type", kind: "type", body: (c) => j(env("GOSSIP", c.sender, c.now, "ut1")), effect: rejected("unknown_type") },
  { name: "a type in lower case", kind: "type", body: (c) => j({ ...env("ping", c.sender, c.now, "ut2"), seq: 1 }), effect: rejected("unknown_type") },
  { name: "a type that is a number", kind: "type", body: (c) => j({ ...env(7, c.sender, c.now, "ut3"), seq: 1 }), effect: rejected("unknown_type") },
  { name: "no sender", kind: "common-fields", body: (c) => j({ type: "PING", timestamp: c.now, msg_id: "ns1", seq: 1 }), effect: rejected("invalid_field") },
  { name: "no msg_id", kind: "common-fields", body: (c) => j({ type: "PING", sender: c.sender, timestamp: c.now, seq: 1 }), effect: rejected("invalid_field") },
  { name: "seq as a string", kind: "field-types", body: (c) => ping(c, "wt1", { seq: "7" }), effect: rejected("invalid_field") },
  { name: "seq negative", kind: "field-types", body: (c) => ping(c, "wt2", { seq: -1 }), effect: rejected("invalid_field") },
  { name: "seq huge (1e300)", kind: "field-types", body: (c) => ping(c, "wt3", { seq: 1e300 }), effect: rejected("invalid_field") },
  { name: "seq overflowing to Infinity (1e999)", kind: "field-types", body: (c) => `{"type":"PING","sender":"${c.sender}","timestamp":"${c.now}","msg_id":"wt4","seq":1e999}`, effect: rejected("invalid_field") },
  { name: "seq fractional", kind: "field-types", body: (c) => ping(c, "wt5", { seq: 1.5 }), effect: rejected("invalid_field") },
  { name: 'seq "NaN"', kind: "field-types", body: (c) => ping(c, "wt6", { seq: "NaN" }), effect: rejected("invalid_field") },
  { name: "a view count negative", kind: "field-types", body: (c) => view(c, "wt7", c.now, { count: -5 }), effect: rejected("invalid_field") },
  { name: "a view count fractional", kind: "field-types", body: (c) => view(c, "wt8", c.now, { count: 12.5 }), effect: rejected("invalid_field") },
  { name: "confidence above 1", kind: "field-types", body: (c) => j({ ...env("AUDIT_RESULT", c.sender, c.now, "wt9"), content_id: "show:x", agreed_count: 1, confidence: 1.5, voters: [] }), effect: rejected("invalid_field") },
  { name: "peers not a list", kind: "field-types", body: (c) => j({ ...env("PEER_LIST", c.sender, c.now, "wt10"), peers: { node_id: "x" } }), effect: rejected("invalid_field") },
  { name: "an empty msg_id", kind: "common-fields", body: (c) => ping(c, ""), effect: rejected("invalid_field") },
  { name: "a 65-character msg_id", kind: "common-fields", body: (c) => ping(c, "m".repeat(65)), effect: rejected("invalid_field") },
  { name: "an empty sender", kind: "common-fields", body: (c) => ping(c, "id1", undefined, ""), effect: rejected("invalid_field") },
  { name: "a 64-character sender", kind: "common-fields", body: (c) => ping(c, "id2", undefined, "s".repeat(64)), effect: rejected("invalid_field") },
  { name: "a sender in capitals", kind: "common-fields", body: (c) => ping(c, "id3", undefined, "Bot-Evil"), effect: rejected("invalid_field") },
  { name: "a sender in unicode", kind: "common-fields", body: (c) => ping(c, "id4", undefined, "bøt-ünï"), effect: rejected("invalid_field") },
  { name: "a NUL in the msg_id", kind: "common-fields", body: (c) => ping(c, "a\u0000b"), effect: rejected("invalid_field") },
  { name: "an escape sequence in the content id", kind: "field-types", body: (c) => view(c, "cc2", c.now, { content_id: "show:\u001b[31mred" }), effect: rejected("invalid_field") },
  { name: "a newline in the sender", kind: "common-fields", body: (c) => ping(c, "cc3", undefined, `${c.sender}\nforged log line`), effect: rejected("invalid_field") },
  { name: "a timestamp without an offset", kind: "common-fields", body: (c) => ping(c, "ts1", undefined, c.sender, "2026-11-24T14:03:08"), effect: rejected("invalid_field") },
  { name: "a timestamp that is no date", kind: "common-fields", body: (c) => ping(c, "ts2", undefined, c.sender, "2026-13-45T25:61:00Z"), effect: rejected("invalid_field") },
  { name: "a body of 300 KiB", kind: "oversized", body: (c) => ping(c, "big1", { seq: 1, pad: "x".repeat(300 * 1024) }), effect: rejected("too_large") },
  { name: "a PEER_LIST entry named __proto__", kind: "field-types", body: (c) => j({ ...env("PEER_LIST", c.sender, c.now, "pp1"), peers: [{ node_id: "__proto__" }] }), effect: rejected("invalid_field") },
  // Odd but valid: the receiver handles them as data and answers.
  { name: "unicode, CJK and a right-to-left mark in the msg_id (the embedded SQS refuses characters beyond U+FFFF)", kind: null, body: (c) => ping(c, "ünïcödé-漢字-✓-\u200f", { seq: 90_001 }), effect: { handled: "PING", pong: 90_001 } },
  {
    name: "__proto__ and constructor keys",
    kind: null,
    body: (c) => `{"type":"PING","sender":"${c.sender}","timestamp":"${c.now}","msg_id":"proto2","seq":90002,` + `"__proto__":{"polluted":true,"seq":1},"constructor":{"prototype":{"polluted":true}}}`,
    effect: { handled: "PING", pong: 90_002 },
  },
  { name: "a PING from the far future", kind: null, body: (c) => ping(c, "tf1", { seq: 90_003 }, c.sender, "2999-01-01T00:00:00Z"), effect: { handled: "PING", pong: 90_003 } },
  { name: "a PING from 1970", kind: null, body: (c) => ping(c, "tp1", { seq: 90_004 }, c.sender, "1970-01-01T00:00:00+00:00"), effect: { handled: "PING", pong: 90_004 } },
  { name: "a view from 2001", kind: null, body: (c) => view(c, "tv1", "2001-09-09T01:46:40Z"), effect: { dropped: "stale_view_event" } },
  { name: "a view from 2999", kind: null, body: (c) => view(c, "tv2", "2999-01-01T00:00:00Z"), effect: { dropped: "stale_view_event" } },
  { name: "a PONG for a seq never sent", kind: null, body: (c) => j({ ...env("PONG", c.sender, c.now, "pong1"), seq: 424_242 }), effect: { dropped: "unknown_pong" } },
  { name: "a CHOKE from a stranger", kind: null, body: (c) => j(env("CHOKE", "stranger-1", c.now, "ch1")), effect: { dropped: "from_unknown_peer" } },
  { name: "an UNCHOKE from a stranger", kind: null, body: (c) => j(env("UNCHOKE", "stranger-2", c.now, "ch2")), effect: { dropped: "from_unknown_peer" } },
  { name: "a PEER_LIST of 10,000 entries", kind: "huge-list", body: (c) => hugePeerList(c, "huge-1"), effect: { dropped: "peer_list_over_max", atLeast: 9_950 } },
  { name: "...whose first 50 name the receiver itself", kind: null, body: (c) => hugePeerList(c, "huge-2"), effect: { dropped: "self_in_peer_list", atLeast: 50 } },
  {
    name: "a PEER_LIST of 50 entries on a foreign host",
    kind: null,
    body: (c) => j({ ...env("PEER_LIST", c.sender, c.now, "fifty"), peers: Array.from({ length: 50 }, (_, i) => ({ node_id: `f${i}`, queue_url: `https://evil.example.com/${c.net.account}/${queueName(c.net.prefix, `f${i}`)}` })) }),
    effect: { urlRejected: "wrong_host", atLeast: 50 },
  },
];

/** The bodies of one kind, for `fleet check`'s case of that kind. */
export function badBodiesOf(kind: BadBodyKind): BadBody[] {
  return BAD_BODIES.filter((b) => b.kind === kind);
}
