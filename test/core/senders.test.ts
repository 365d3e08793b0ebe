import { describe, expect, test } from "bun:test";
import { encode } from "../../src/protocol/index.ts";
import { createSenderTable, OFFENDING_BODY_MAX_CHARS, offendingBody } from "../../src/core/senders.ts";
import { createRng } from "../../src/core/rng.ts";
import { deliver, makeNode, msg, T0 } from "./helpers.ts";

const TS = '"timestamp":"2026-11-24T14:00:00Z"';

describe("rejections are put down to a sender only when the body names a valid one", () => {
  test.each([
    { name: "invalid field", body: `{"type":"PING","sender":"sam",${TS},"msg_id":"1","seq":"x"}`, sender: "sam", reason: "invalid_field" },
    { name: "unknown type", body: `{"type":"PONGG","sender":"sam",${TS},"msg_id":"1"}`, sender: "sam", reason: "unknown_type" },
    { name: "missing type", body: `{"sender":"sam","msg_id":"1"}`, sender: "sam", reason: "missing_type" },
    { name: "sender not a node id", body: `{"type":"PING","sender":"Sam!",${TS},"msg_id":"1","seq":"x"}`, sender: null, reason: "invalid_field" },
    { name: "sender longer than an id", body: `{"type":"PING","sender":"${"s".repeat(41)}","seq":"x"}`, sender: null, reason: "invalid_field" },
    { name: "sender a number", body: `{"type":"PING","sender":7,"seq":1}`, sender: null, reason: "invalid_field" },
    { name: "not JSON", body: `{"type":"PING","sender":"sam"`, sender: null, reason: "not_json" },
    { name: "an array", body: `[{"sender":"sam"}]`, sender: null, reason: "not_object" },
    { name: "our own id", body: `{"type":"PING","sender":"hugo",${TS},"msg_id":"1","seq":"x"}`, sender: null, reason: "invalid_field" },
  ])("$name", ({ body, sender, reason }) => {
    const { node } = makeNode("hugo");
    const out = node.receive(body, T0 + 5);
    const snap = node.snapshot(T0 + 5);
    // the node's own count sees every rejection, attributed or not
    expect(snap.counters.rejected).toEqual({ [reason]: 1 });
    const entry = snap.senders.find((s) => s.rejected[reason as "not_json"]);
    if (sender === null) {
      expect(entry).toBeUndefined();
    } else {
      expect(entry).toMatchObject({ id: sender, rejected: { [reason]: 1 }, lastHeardMs: T0 + 5 });
      expect(entry!.lastRejection).toMatchObject({ reason, body, atMs: T0 + 5 });
      expect(entry!.lastRejection!.detail.length).toBeGreaterThan(0);
    }
    expect(out.received?.msgId).toBe("");
  });
});

test("messages that parse are counted per sender by type, duplicates included; receive says what it got", () => {
  const { node } = makeNode("hugo");
  const ping = msg("PING", "sam", { seq: 1 }, T0, "aa");
  const out = deliver(node, ping, T0 + 1);
  deliver(node, ping, T0 + 2);
  deliver(node, msg("HELLO", "sam", { queue_url: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-sam-p2p" }), T0 + 3);
  expect(out.received).toEqual({ sender: "sam", type: "PING", msgId: "aa" });
  const sam = node.snapshot(T0 + 3).senders.find((s) => s.id === "sam")!;
  expect(sam).toMatchObject({ in: { PING: 2, HELLO: 1 }, rejected: {}, lastRejection: null, lastHeardMs: T0 + 3 });
});

test("the table is bounded: the sender heard from least recently makes room", () => {
  const t = createSenderTable(3);
  for (const [i, id] of ["a", "b", "c"].entries()) t.received(id, "PING", i);
  t.received("a", "PONG", 10); // a is now the most recent
  t.received("d", "PING", 11);
  expect(t.size).toBe(3);
  expect(t.snapshot().map((s) => s.id)).toEqual(["c", "a", "d"]);
  // a flood of forged names cannot grow it
  for (let i = 0; i < 1000; i++) t.rejected({ ok: false, reason: "invalid_field", detail: "x", sender: `forged-${i}` }, "{}", 100 + i);
  expect(t.size).toBe(3);
});

describe("the last offending body: control characters escaped, cut to 300 characters", () => {
  test.each([
    { name: "plain", body: '{"a":1}', want: '{"a":1}' },
    { name: "line feed, tab, carriage return", body: '{"a":\n\t1}\r', want: '{"a":\\n\\t1}\\r' },
    { name: "NUL and DEL and a C1 control", body: "a\u0000b\u007fc\u0085", want: "a\\u0000b\\u007fc\\u0085" },
    { name: "line separators", body: "a\u2028b\u2029", want: "a\\u2028b\\u2029" },
    { name: "exactly 300", body: "x".repeat(300), want: "x".repeat(300) },
    { name: "longer", body: "x".repeat(5000), want: `${"x".repeat(299)}…` },
    { name: "escapes count toward the cut", body: "\n".repeat(400), want: `${"\\n".repeat(149)}…` },
  ])("$name", ({ body, want }) => {
    const got = offendingBody(body);
    expect(got).toBe(want);
    expect(got.length).toBeLessThanOrEqual(OFFENDING_BODY_MAX_CHARS);
  });
});

test("each peer's RTT p50 is the median of its last 8 round trips", () => {
  const { node } = makeNode("hugo");
  deliver(node, msg("HELLO", "sam", { queue_url: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-sam-p2p" }));
  let now = T0;
  const rtts = [100, 5, 7, 9, 11, 13, 15, 17, 19]; // the first falls out of the window
  for (const rtt of rtts) {
    now += 10_000;
    const out = node.tick(now);
    const ping = out.sends.find((s) => s.to === "sam" && s.message.type === "PING");
    expect(ping).toBeDefined();
    const seq = (ping!.message as { seq: number }).seq;
    node.receive(encode(msg("PONG", "sam", { seq }, now + rtt)), now + rtt);
  }
  const sam = node.snapshot(now + 20).peers.find((p) => p.id === "sam")!;
  expect(sam.rttMs).toBe(19);
  expect(sam.rttP50Ms).toBe(12); // median of 5..19 without the 100
});

describe("recency and counts match a plain LRU over long runs", () => {
  /** The table as first written: a Map whose order is recency, an entry moved to the end when heard. */
  function referenceTable(max: number) {
    const entries = new Map<string, { in: Record<string, number>; rejected: Record<string, number>; lastHeardMs: number }>();
    const touch = (id: string, nowMs: number) => {
      let e = entries.get(id);
      if (e) entries.delete(id);
      else {
        e = { in: {}, rejected: {}, lastHeardMs: nowMs };
        if (entries.size >= max) entries.delete(entries.keys().next().value!);
      }
      e.lastHeardMs = nowMs;
      entries.set(id, e);
      return e;
    };
    return {
      received: (id: string, type: string, nowMs: number) => {
        const e = touch(id, nowMs);
        e.in[type] = (e.in[type] ?? 0) + 1;
      },
      rejected: (id: string, reason: string, nowMs: number) => {
        const e = touch(id, nowMs);
        e.rejected[reason] = (e.rejected[reason] ?? 0) + 1;
      },
      snapshot: () => [...entries].map(([id, e]) => ({ id, in: e.in, rejected: e.rejected, lastHeardMs: e.lastHeardMs })),
    };
  }

  test.each([
    [1, 5, "one place"],
    [3, 8, "a few senders over a small table"],
    [50, 60, "most senders fit"],
    [50, 400, "a stream of new senders, an eviction at most messages"],
  ])("max %d, %d senders: %s", (max, senders) => {
    const rng = createRng(`senders-${max}-${senders}`);
    const fast = createSenderTable(max);
    const slow = referenceTable(max);
    const types = ["PING", "PONG", "VIEW_EVENT"] as const;
    for (let i = 0; i < 20_000; i++) {
      // A few senders talk often, the rest now and then.
      const id = `s${rng.int(4) === 0 ? rng.int(senders) : rng.int(Math.min(senders, 5))}`;
      if (rng.int(50) === 0) {
        fast.rejected({ ok: false, reason: "invalid_field", detail: "x", sender: id }, "{}", i);
        slow.rejected(id, "invalid_field", i);
      } else {
        const type = types[rng.int(types.length)]!;
        fast.received(id, type, i);
        slow.received(id, type, i);
      }
      if (i % 997 === 0 || i === 19_999) {
        expect(fast.snapshot().map(({ id, in: counts, rejected, lastHeardMs }) => ({ id, in: counts, rejected, lastHeardMs }))).toEqual(slow.snapshot());
      }
    }
    expect(fast.size).toBe(Math.min(max, slow.snapshot().length));
  });
});
