/**
 * The bad input corpus of docs/protocol.md §2 (WIRE-6) against a running fleet: each body
 * goes to bot-bravo's queue between two valid PINGs. After each, both PINGs
 * got their PONG (the bot still answers and the message sent around the bad
 * one was handled), the effect was counted by its reason in /health, and the
 * log holds at most one line per reason per minute.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { HealthNode } from "../../src/fleet/health-types.ts";
import { ACCOUNT, botNodes, envelope, fleetFile, logLinesOf, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const BOT = "bot-bravo";
const PROBER = "prober";

const FLEET = fleetFile(botNodes());

let f: FleetProc;
let startedMs = 0;
const pongs = new Set<number>();

const now = () => new Date().toISOString();
const ping = (msgId: string, seq: number) => ({ ...envelope("PING", PROBER, msgId), seq });
const view = (msgId: string, timestamp: string, extra: Record<string, unknown> = {}) => ({
  ...envelope("VIEW_EVENT", PROBER, msgId, timestamp),
  event_id: `ev-${msgId}`,
  content_id: "show:midnight-run",
  count: 120,
  ad_id: "ad-7",
  ...extra,
});
const EVIL = (id: string) => `https://evil.example.com/${ACCOUNT}/${queueName(id)}`;

/** 10,000 entries in about 200 KB: the first 50 (those a node looks at) name the bot itself, the rest strangers. */
function hugePeerList(msgId: string): object {
  const peers = Array.from({ length: 10_000 }, (_, i) => ({ node_id: i < 50 ? BOT : `f${i}` }));
  return { ...envelope("PEER_LIST", PROBER, msgId), peers };
}

/** 50 entries, each naming a foreign host. */
function foreignPeerList(): object {
  const peers = Array.from({ length: 50 }, (_, i) => ({ node_id: `f${i}`, queue_url: EVIL(`f${i}`) }));
  return { ...envelope("PEER_LIST", PROBER, "fifty"), peers };
}

type Effect =
  | { rejected: string }
  | { dropped: string; atLeast?: number }
  | { urlRejected: string; atLeast: number }
  | { handled: string; pong?: number };

/** [what, body, what /health must show afterwards] */
const CORPUS: Array<[string, () => object | string, Effect]> = [
  ["not JSON", () => `{"type": "PING", "sender": "prober"`, { rejected: "not_json" }],
  ["NaN written as a bare word", () => `{"type":"PING","sender":"prober","timestamp":"${now()}","msg_id":"nan1","seq":NaN}`, { rejected: "not_json" }],
  ["a JSON array", () => `[{"type":"PING"}]`, { rejected: "not_object" }],
  ["JSON null", () => "null", { rejected: "not_object" }],
  ["a JSON string", () => `"PING"`, { rejected: "not_object" }],
  ["a JSON number", () => "42", { rejected: "not_object" }],
  ["nesting 100,000 deep", () => "[".repeat(100_000) + "]".repeat(100_000), { rejected: "not_object" }],
  ["no type", () => ({ sender: PROBER, timestamp: now(), msg_id: "nt1", seq: 1 }), { rejected: "missing_type" }],
  ["an unknown type", () => ({ ...envelope("GOSSIP", PROBER, "ut1") }), { rejected: "unknown_type" }],
  ["a type in lower case", () => ({ ...envelope("ping", PROBER, "ut2"), seq: 1 }), { rejected: "unknown_type" }],
  ["a type that is a number", () => ({ ...envelope("PING", PROBER, "ut3"), type: 7, seq: 1 }), { rejected: "unknown_type" }],
  ["no sender", () => ({ type: "PING", timestamp: now(), msg_id: "ns1", seq: 1 }), { rejected: "invalid_field" }],
  ["no msg_id", () => ({ type: "PING", sender: PROBER, timestamp: now(), seq: 1 }), { rejected: "invalid_field" }],
  ["seq as a string", () => ({ ...envelope("PING", PROBER, "wt1"), seq: "7" }), { rejected: "invalid_field" }],
  ["seq negative", () => ({ ...envelope("PING", PROBER, "wt2"), seq: -1 }), { rejected: "invalid_field" }],
  ["seq huge (1e300)", () => ({ ...envelope("PING", PROBER, "wt3"), seq: 1e300 }), { rejected: "invalid_field" }],
  ["seq overflowing to Infinity (1e999)", () => `{"type":"PING","sender":"prober","timestamp":"${now()}","msg_id":"wt4","seq":1e999}`, { rejected: "invalid_field" }],
  ["seq fractional", () => ({ ...envelope("PING", PROBER, "wt5"), seq: 1.5 }), { rejected: "invalid_field" }],
  ["seq \"NaN\"", () => ({ ...envelope("PING", PROBER, "wt6"), seq: "NaN" }), { rejected: "invalid_field" }],
  ["a view count negative", () => view("wt7", now(), { count: -5 }), { rejected: "invalid_field" }],
  ["a view count fractional", () => view("wt8", now(), { count: 12.5 }), { rejected: "invalid_field" }],
  ["confidence above 1", () => ({ ...envelope("AUDIT_RESULT", PROBER, "wt9"), content_id: "show:x", agreed_count: 1, confidence: 1.5, voters: [] }), { rejected: "invalid_field" }],
  ["peers not a list", () => ({ ...envelope("PEER_LIST", PROBER, "wt10"), peers: { node_id: "x" } }), { rejected: "invalid_field" }],
  ["an empty msg_id", () => ({ ...envelope("PING", PROBER, ""), seq: 1 }), { rejected: "invalid_field" }],
  ["a 65-character msg_id", () => ({ ...envelope("PING", PROBER, "m".repeat(65)), seq: 1 }), { rejected: "invalid_field" }],
  ["an empty sender", () => ({ ...envelope("PING", "", "id1"), seq: 1 }), { rejected: "invalid_field" }],
  ["a 64-character sender", () => ({ ...envelope("PING", "s".repeat(64), "id2"), seq: 1 }), { rejected: "invalid_field" }],
  ["a sender in capitals", () => ({ ...envelope("PING", "Bot-Evil", "id3"), seq: 1 }), { rejected: "invalid_field" }],
  ["a sender in unicode", () => ({ ...envelope("PING", "bøt-ünï", "id4"), seq: 1 }), { rejected: "invalid_field" }],
  ["a NUL in the msg_id", () => ({ ...envelope("PING", PROBER, "a\u0000b"), seq: 1 }), { rejected: "invalid_field" }],
  ["an escape sequence in the content id", () => view("cc2", now(), { content_id: "show:\u001b[31mred" }), { rejected: "invalid_field" }],
  ["a newline in the sender", () => ({ ...envelope("PING", "prober\nforged log line", "cc3"), seq: 1 }), { rejected: "invalid_field" }],
  ["a timestamp without an offset", () => ({ ...envelope("PING", PROBER, "ts1", "2026-11-24T14:03:08"), seq: 1 }), { rejected: "invalid_field" }],
  ["a timestamp that is no date", () => ({ ...envelope("PING", PROBER, "ts2", "2026-13-45T25:61:00Z"), seq: 1 }), { rejected: "invalid_field" }],
  ["a body of 300 KiB", () => ({ ...envelope("PING", PROBER, "big1"), seq: 1, pad: "x".repeat(300 * 1024) }), { rejected: "too_large" }],
  ["a PEER_LIST entry named __proto__", () => ({ ...envelope("PEER_LIST", PROBER, "pp1"), peers: [{ node_id: "__proto__" }] }), { rejected: "invalid_field" }],
  // Accepted: odd but valid. The bot handles them as data and answers.
  ["unicode, CJK and a right-to-left mark in the msg_id (the embedded SQS refuses characters beyond U+FFFF)", () => ({ ...envelope("PING", PROBER, "ünïcödé-漢字-✓-\u200f"), seq: 90_001 }), { handled: "PING", pong: 90_001 }],
  [
    "__proto__ and constructor keys",
    () =>
      `{"type":"PING","sender":"prober","timestamp":"${now()}","msg_id":"proto2","seq":90002,` +
      `"__proto__":{"polluted":true,"seq":1},"constructor":{"prototype":{"polluted":true}}}`,
    { handled: "PING", pong: 90_002 },
  ],
  ["a PING from the far future", () => ({ ...envelope("PING", PROBER, "tf1", "2999-01-01T00:00:00Z"), seq: 90_003 }), { handled: "PING", pong: 90_003 }],
  ["a PING from 1970", () => ({ ...envelope("PING", PROBER, "tp1", "1970-01-01T00:00:00+00:00"), seq: 90_004 }), { handled: "PING", pong: 90_004 }],
  ["a view from 2001", () => view("tv1", "2001-09-09T01:46:40Z"), { dropped: "stale_view_event" }],
  ["a view from 2999", () => view("tv2", "2999-01-01T00:00:00Z"), { dropped: "stale_view_event" }],
  ["a PONG for a seq never sent", () => ({ ...envelope("PONG", PROBER, "pong1"), seq: 424_242 }), { dropped: "unknown_pong" }],
  ["a CHOKE from a stranger", () => ({ ...envelope("CHOKE", "stranger-1", "ch1") }), { dropped: "from_unknown_peer" }],
  ["an UNCHOKE from a stranger", () => ({ ...envelope("UNCHOKE", "stranger-2", "ch2") }), { dropped: "from_unknown_peer" }],
  ["a PEER_LIST of 10,000 entries", () => hugePeerList("huge-1"), { dropped: "peer_list_over_max", atLeast: 9_950 }],
  ["...whose first 50 name the bot itself", () => hugePeerList("huge-2"), { dropped: "self_in_peer_list", atLeast: 50 }],
  ["a PEER_LIST of 50 entries on a foreign host", foreignPeerList, { urlRejected: "wrong_host", atLeast: 50 }],
];

const rejected = (n: HealthNode, r: string) => n.counters.rejected[r] ?? 0;
const seqBefore = (i: number) => 10_000 + 2 * i;
const seqAfter = (i: number) => 10_001 + 2 * i;

function isJsonObject(line: string): boolean {
  try {
    const o = JSON.parse(line);
    return o !== null && typeof o === "object";
  } catch {
    return false;
  }
}

async function collectPongs(): Promise<void> {
  for (const m of await f.drain(PROBER, 0)) if (m.type === "PONG" && m.sender === BOT && m.seq !== undefined) pongs.add(m.seq);
}

describe("bad input, between valid messages, against a running bot", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    startedMs = Date.now();
    await f.createQueue(queueName(PROBER));
    // The prober is a peer of the bot (its PONG test needs a known sender).
    await f.send(BOT, { ...envelope("HELLO", PROBER, "hello-0"), queue_url: queueUrl(PROBER) });
    await until("the bot answers the prober's HELLO", 15_000, async () => (await f.drain(PROBER)).some((m) => m.type === "PEER_LIST"));
  }, 30_000);

  afterAll(() => f?.kill());

  test("the whole corpus, each body between two valid PINGs, is counted by reason and nothing else is", async () => {
    const before = await f.node(BOT);
    for (let i = 0; i < CORPUS.length; i++) {
      const [, make] = CORPUS[i]!;
      await f.send(BOT, ping(`ok-${i}-a`, seqBefore(i)));
      await f.send(BOT, make());
      await f.send(BOT, ping(`ok-${i}-b`, seqAfter(i)));
    }
    const want = { rejected: {} as Record<string, number>, dropped: {} as Record<string, number>, url: {} as Record<string, number>, handled: {} as Record<string, number> };
    for (const [, , e] of CORPUS) {
      if ("rejected" in e) want.rejected[e.rejected] = (want.rejected[e.rejected] ?? 0) + 1;
      else if ("dropped" in e) want.dropped[e.dropped] = (want.dropped[e.dropped] ?? 0) + (e.atLeast ?? 1);
      else if ("urlRejected" in e) want.url[e.urlRejected] = (want.url[e.urlRejected] ?? 0) + e.atLeast;
      else want.handled[e.handled] = (want.handled[e.handled] ?? 0) + 1;
    }
    const delta = (a: Record<string, number> | undefined, b: Record<string, number> | undefined, keys: string[]) =>
      Object.fromEntries(keys.map((k) => [k, (a?.[k] ?? 0) - (b?.[k] ?? 0)]));
    const after = await until("every effect counted in /health", 20_000, async () => {
      const n = await f.node(BOT);
      const r = delta(n.counters.rejected, before.counters.rejected, Object.keys(want.rejected));
      const d = delta(n.counters.dropped, before.counters.dropped, Object.keys(want.dropped));
      const u = delta(n.counters.url_rejected, before.counters.url_rejected, Object.keys(want.url));
      const done = (got: Record<string, number>, w: Record<string, number>) => Object.entries(w).every(([k, v]) => got[k]! >= v);
      return done(r, want.rejected) && done(d, want.dropped) && done(u, want.url) && n;
    });
    // Exactly one rejection per rejected body, by its reason, and no other rejection: the valid ones all went through.
    expect(delta(after.counters.rejected, before.counters.rejected, Object.keys({ ...after.counters.rejected, ...want.rejected }))).toEqual(
      Object.fromEntries(Object.keys({ ...after.counters.rejected, ...want.rejected }).map((k) => [k, want.rejected[k] ?? 0])),
    );
    const dropped = delta(after.counters.dropped, before.counters.dropped, Object.keys(want.dropped));
    for (const [k, v] of Object.entries(want.dropped)) expect([k, dropped[k]! >= v, dropped[k]]).toEqual([k, true, dropped[k]]);
    expect(delta(after.counters.url_rejected, before.counters.url_rejected, Object.keys(want.url))).toEqual(want.url);
    expect(after.state).toBe("running");
    expect(after.restarts).toBe(0);
  }, 40_000);

  test.each(CORPUS.map((c, i) => [c[0], i] as const))("%s: the PINGs around it were answered", async (_name, i) => {
    const effect = CORPUS[i]![2];
    await until("both valid PINGs answered", 10_000, async () => {
      await collectPongs();
      return pongs.has(seqBefore(i)) && pongs.has(seqAfter(i)) && ("pong" in effect && effect.pong ? pongs.has(effect.pong) : true);
    });
    if (!("pong" in effect)) {
      // A rejected or dropped PING-like body got no answer of its own.
      expect(pongs.has(1)).toBe(false);
    }
  }, 15_000);

  test("a burst of 300 bad bodies in a row: all counted, the bot keeps answering, the log does not flood", async () => {
    const before = await f.node(BOT);
    const bad = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `garbage ${i}` : i % 3 === 1 ? "[]" : { ...envelope("NOPE", PROBER, `b${i}`) }));
    await f.sendMany(BOT, [...bad, ping("after-burst", 99_999)]);
    await until("the PING after the burst answered", 15_000, async () => {
      await collectPongs();
      return pongs.has(99_999);
    });
    const after = await until("all 300 counted", 5_000, async () => {
      const n = await f.node(BOT);
      const d = (r: string) => rejected(n, r) - rejected(before, r);
      return d("not_json") === 100 && d("not_object") === 100 && d("unknown_type") === 100 && n;
    });
    expect(after.state).toBe("running");
  }, 30_000);

  test("no line was logged more than once per reason per minute", () => {
    const minutes = Math.ceil((Date.now() - startedMs) / 60_000);
    const byReason = new Map<string, number>();
    for (const o of logLinesOf(f, BOT, "message rejected")) byReason.set(String(o.reason), (byReason.get(String(o.reason)) ?? 0) + 1);
    for (const o of logLinesOf(f, BOT, "queue URL rejected")) byReason.set(`url:${o.reason}`, (byReason.get(`url:${o.reason}`) ?? 0) + 1);
    // Every reason of the corpus was seen...
    expect([...byReason.keys()].sort()).toEqual(
      ["invalid_field", "missing_type", "not_json", "not_object", "too_large", "unknown_type", "url:wrong_host"].sort(),
    );
    // ...and logged at most once a minute, whatever the number of messages (over 350 here).
    for (const [reason, count] of byReason) expect([reason, count]).toEqual([reason, Math.min(count, minutes)]);
    // The bodies themselves never reach the log.
    expect(f.lines.some((l) => l.includes("xxxxxxxxxxxxxxxx"))).toBe(false);
    // A newline in a field cannot forge a log line: every line is one JSON object.
    expect(f.lines.filter((l) => !isJsonObject(l))).toEqual([]);
    // The warnings of the whole run stay a handful.
    expect(f.logs().filter((o) => o.node === BOT && Number(o.level) >= 40).length).toBeLessThan(20);
  });
});
