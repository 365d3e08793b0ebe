import { describe, expect, test } from "bun:test";
import { BODY_BYTES_MAX, build, encode, MESSAGE_TYPES, parse, parseTimestampMs, type MessageType } from "../../src/protocol/index.ts";

const URL_OF = (id: string) => `https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-${id}-p2p`;

/** The extra fields of one valid message of each type. */
const EXTRA: Record<MessageType, Record<string, unknown>> = {
  HELLO: { queue_url: URL_OF("hugo") },
  PEER_LIST: { peers: [{ node_id: "hugo", queue_url: URL_OF("hugo") }, { node_id: "sam" }] },
  PING: { seq: 1 },
  PONG: { seq: 0 },
  VIEW_EVENT: { event_id: "evt-1a2b3c4d", content_id: "show:midnight-run", count: 150, ad_id: "ad-7" },
  AUDIT_RESULT: { content_id: "show:midnight-run", agreed_count: 150, confidence: 0.92, voters: ["hugo", "sam"] },
  CHOKE: {},
  UNCHOKE: {},
};

function body(type: string, over: Record<string, unknown> = {}, drop: string[] = []): string {
  const m: Record<string, unknown> = {
    type,
    sender: "hugo",
    timestamp: "2026-11-24T14:03:08.124Z",
    msg_id: "42a98f3d",
    ...EXTRA[type as MessageType],
    ...over,
  };
  for (const k of drop) delete m[k];
  return JSON.stringify(m);
}

function rejection(text: string) {
  const r = parse(text);
  if (r.ok) throw new Error(`accepted: ${text.slice(0, 120)}`);
  return r;
}

describe("each type parses", () => {
  test.each(MESSAGE_TYPES.map((t) => [t]))("%s, our own shape", (type) => {
    const r = parse(body(type));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.message.type).toBe(type);
  });

  test.each(MESSAGE_TYPES.map((t) => [t]))("%s, notebook shape: +00:00, microseconds, extra fields", (type) => {
    const r = parse(body(type, { timestamp: "2026-11-24T14:03:08.124567+00:00", course: "ds2032", nested: { a: [1] } }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(parseTimestampMs(r.message.timestamp)).toBe(Date.UTC(2026, 10, 24, 14, 3, 8, 124));
    expect("course" in r.message).toBe(false);
  });

  test.each([
    ["2026-11-24T14:03:08Z", Date.UTC(2026, 10, 24, 14, 3, 8)],
    ["2026-11-24T14:03:08.1+00:00", Date.UTC(2026, 10, 24, 14, 3, 8, 100)],
    ["2026-11-24T16:03:08.5+02:00", Date.UTC(2026, 10, 24, 14, 3, 8, 500)],
    ["2026-11-24T09:33:08-04:30", Date.UTC(2026, 10, 24, 14, 3, 8)],
    ["2028-02-29T23:59:59Z", Date.UTC(2028, 1, 29, 23, 59, 59)],
    ["2026-03-01T00:30:00+01:00", Date.UTC(2026, 1, 28, 23, 30, 0)],
  ])("timestamp %s is %d ms", (ts, ms) => {
    const r = parse(body("PING", { timestamp: ts }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(parseTimestampMs(r.message.timestamp)).toBe(ms);
  });

  test("VIEW-1: a VIEW_EVENT without ad_id is accepted", () => {
    const r = parse(body("VIEW_EVENT", {}, ["ad_id"]));
    expect(r.ok).toBe(true);
  });
});

describe("WIRE-6: bodies that are not protocol messages", () => {
  test.each([
    ["not_json", "'{'", "{"],
    ["not_json", "''", ""],
    ["not_json", "'hello'", "hello"],
    ["not_json", "'{'type': 'PING'}'", "{'type': 'PING'}"],
    ["not_object", "'[]'", "[]"],
    ["not_object", "'[{'type':'PING'}]'", '[{"type":"PING"}]'],
    ["not_object", "'null'", "null"],
    ["not_object", "''PING''", '"PING"'],
    ["not_object", "'42'", "42"],
    ["not_object", "'true'", "true"],
    ["too_large", "a PING padded past 256 KiB", JSON.stringify({ type: "PING", pad: "x".repeat(BODY_BYTES_MAX) })],
    ["too_large", "256 KiB of 2-byte characters", JSON.stringify({ pad: "é".repeat(BODY_BYTES_MAX / 2 + 1) })],
    ["missing_type", "no type", JSON.stringify({ sender: "hugo", msg_id: "1" })],
    ["missing_type", "the notebook echo", JSON.stringify({ hello: "Is anyone there?", from: "hugo" })],
    ["unknown_type", "type TEST", body("TEST")],
    ["unknown_type", "type ping (lowercase)", body("ping")],
    ["unknown_type", "type __proto__", body("__proto__")],
    ["unknown_type", "type 7", JSON.stringify({ type: 7 })],
    ["unknown_type", "type null", JSON.stringify({ type: null })],
  ])("%s: %s", (reason, _label, text) => {
    expect(rejection(text).reason).toBe(reason as never);
  });
});

describe("invalid fields name their path", () => {
  const cases: Array<[string, string, string]> = [
    // missing common fields
    ...MESSAGE_TYPES.flatMap((t): Array<[string, string, string]> =>
      ["sender", "timestamp", "msg_id"].map((f) => [`${t} without ${f}`, body(t, {}, [f]), f]),
    ),
    // missing or wrong-typed extra fields
    ["HELLO without queue_url", body("HELLO", {}, ["queue_url"]), "queue_url"],
    ["HELLO queue_url a number", body("HELLO", { queue_url: 5 }), "queue_url"],
    ["PEER_LIST peers not a list", body("PEER_LIST", { peers: "hugo" }), "peers"],
    ["PEER_LIST entry without node_id", body("PEER_LIST", { peers: [{ queue_url: URL_OF("a") }] }), "peers.0.node_id"],
    ["PEER_LIST entry bad id", body("PEER_LIST", { peers: [{ node_id: "ok" }, { node_id: "Bad" }] }), "peers.1.node_id"],
    ["PING without seq", body("PING", {}, ["seq"]), "seq"],
    ["PING seq a string", body("PING", { seq: "1" }), "seq"],
    ["PONG seq negative", body("PONG", { seq: -1 }), "seq"],
    ["PONG seq fractional", body("PONG", { seq: 1.5 }), "seq"],
    ["VIEW_EVENT count negative", body("VIEW_EVENT", { count: -3 }), "count"],
    ["VIEW_EVENT count fractional", body("VIEW_EVENT", { count: 150.5 }), "count"],
    ["VIEW_EVENT count huge", body("VIEW_EVENT", { count: 1e300 }), "count"],
    ["VIEW_EVENT count a string", body("VIEW_EVENT", { count: "150" }), "count"],
    ["VIEW_EVENT without event_id", body("VIEW_EVENT", {}, ["event_id"]), "event_id"],
    ["VIEW_EVENT empty content_id", body("VIEW_EVENT", { content_id: "" }), "content_id"],
    ["AUDIT_RESULT confidence above 1", body("AUDIT_RESULT", { confidence: 1.01 }), "confidence"],
    ["AUDIT_RESULT confidence negative", body("AUDIT_RESULT", { confidence: -0.1 }), "confidence"],
    ["AUDIT_RESULT agreed_count fractional", body("AUDIT_RESULT", { agreed_count: 2.5 }), "agreed_count"],
    ["AUDIT_RESULT voters not ids", body("AUDIT_RESULT", { voters: ["hugo", "Not An Id"] }), "voters.1"],
    ["AUDIT_RESULT voters missing", body("AUDIT_RESULT", {}, ["voters"]), "voters"],
    // timestamps
    ["timestamp without offset", body("PING", { timestamp: "2026-11-24T14:03:08" }), "timestamp"],
    ["timestamp a date only", body("PING", { timestamp: "2026-11-24" }), "timestamp"],
    ["timestamp month 13", body("PING", { timestamp: "2026-13-24T14:03:08Z" }), "timestamp"],
    ["timestamp February 31st", body("PING", { timestamp: "2026-02-31T00:00:00Z" }), "timestamp"],
    ["timestamp February 29th of a common year", body("PING", { timestamp: "2026-02-29T12:00:00Z" }), "timestamp"],
    ["timestamp April 31st", body("PING", { timestamp: "2026-04-31T12:00:00+02:00" }), "timestamp"],
    ["timestamp day 0", body("PING", { timestamp: "2026-11-00T14:03:08Z" }), "timestamp"],
    ["timestamp hour 24", body("PING", { timestamp: "2026-11-24T24:00:00Z" }), "timestamp"],
    ["timestamp minute 60", body("PING", { timestamp: "2026-11-24T14:60:00Z" }), "timestamp"],
    ["timestamp year 0026 (Date.UTC reads 1926)", body("PING", { timestamp: "0026-11-24T14:03:08Z" }), "timestamp"],
    ["timestamp a number", body("PING", { timestamp: 1764000000 }), "timestamp"],
    // msg_id
    ["msg_id empty", body("PING", { msg_id: "" }), "msg_id"],
    ["msg_id over 64", body("PING", { msg_id: "a".repeat(65) }), "msg_id"],
    ["msg_id a number", body("PING", { msg_id: 42 }), "msg_id"],
  ];
  test.each(cases)("%s", (_name, text, path) => {
    const r = rejection(text);
    expect(r.reason).toBe("invalid_field");
    expect(r.path).toBe(path);
  });

  test.each([
    ["empty", ""],
    ["over 40 characters", "a".repeat(41)],
    ["uppercase", "Hugo"],
    ["unicode", "hügo"],
    ["a space", "hu go"],
    ["a newline", "hugo\n"],
    ["a NUL", "hu\u0000go"],
    ["underscores", "__proto__"],
    ["a dot", "hugo.sqs"],
    ["a number", 7],
  ])("sender %s is invalid_field at sender", (_name, sender) => {
    const r = rejection(body("PING", { sender }));
    expect(r.reason).toBe("invalid_field");
    expect(r.path).toBe("sender");
  });

  test.each([["a"], ["a".repeat(40)], ["bot-alpha"], ["0-9"], ["constructor"]])("sender %s is a valid id", (sender) => {
    expect(parse(body("PING", { sender })).ok).toBe(true);
  });

  test("a rejection names the claimed sender in printable form only", () => {
    const r = rejection(body("PING", { sender: "Evil\u0007Id", seq: "x" }));
    expect(r.sender).toBe("Evil?Id");
  });
});

describe("builders round-trip through parse", () => {
  test.each(MESSAGE_TYPES.map((t) => [t]))("%s", (type) => {
    const nowMs = Date.UTC(2026, 10, 24, 14, 3, 8, 124);
    const built = build(type, { sender: "bot-alpha", nowMs, msgId: "0a1b2c3d" }, EXTRA[type] as never);
    const r = parse(encode(built));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toEqual(built);
    expect(r.message.timestamp).toBe("2026-11-24T14:03:08.124Z");
    expect(parseTimestampMs(r.message.timestamp)).toBe(nowMs);
  });
});

describe("a timestamp read again gives the same answer", () => {
  // Texts in the order they are read: repeats, and a refused text between accepted ones.
  const texts = [
    "2026-01-01T00:00:00.000Z",
    "2026-01-01T00:00:00.000Z",
    "2026-02-31T00:00:00Z",
    "2026-02-31T00:00:00Z",
    "2026-01-01T00:00:00.000Z",
    "2026-01-01T01:00:00+01:00",
    "2026-01-01T00:00:00.000Z",
  ];
  const expected = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1), null, null, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1)];
  test("in any order", () => {
    expect(texts.map((t) => parseTimestampMs(t))).toEqual(expected);
  });
});
