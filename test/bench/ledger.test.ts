/**
 * The soak's ledger (src/bench/ledger.ts): what SQS accepted, the seen
 * journals and what is still queued, closed message by message. The
 * recorder's side, against the embedded SQS: test/sqs/recorder.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { closeLedger, ledgerCloses, type AcceptedMessage, type Ledger, type LedgerInput } from "../../src/bench/ledger.ts";
import { dedupeKey } from "../../src/core/dedupe.ts";
import type { KeptLine } from "../../src/runtime/seen-journal.ts";

const q = (id: string) => `ds2032-node-${id}-p2p`;
const msg = (type: string, from: string, to: string, msgId: string, more: Partial<AcceptedMessage> = {}): AcceptedMessage => ({
  queue: q(to),
  type,
  sender: from,
  msgId,
  accepted: 1,
  deleted: 0,
  ...more,
});
const kept = (from: string, msgId: string, replies?: string[]): KeptLine => ({
  table: "message",
  key: dedupeKey(from, msgId),
  atMs: 1,
  ...(replies ? { replies } : {}),
});
const vote = (key: string): KeptLine => ({ table: "event", key, atMs: 1 });

interface Case {
  accepted: AcceptedMessage[];
  journals?: Record<string, KeptLine[]>;
  queued?: Record<string, string[]>;
  driverHandled?: string[];
  overflow?: number;
}

function close(c: Case): Ledger {
  return closeLedger(inputOf(c));
}

function inputOf(c: Case): LedgerInput {
  return {
    accepted: c.accepted,
    overflow: c.overflow ?? 0,
    deletesUnmatched: 0,
    nodeOfQueue: (name) => /^ds2032-node-(.+)-p2p$/.exec(name)?.[1] ?? null,
    journals: new Map(Object.entries(c.journals ?? {})),
    handledElsewhere: new Map([["driver", new Set(c.driverHandled ?? [])]]),
    stillQueued: new Map(Object.entries(c.queued ?? {}).map(([id, keys]) => [id, new Set(keys)])),
  };
}

const ping = (from: string, to: string, id: string, seq: number) => msg("PING", from, to, id, { seq });
const pong = (from: string, to: string, id: string, seq: number) => msg("PONG", from, to, id, { seq });

describe("ledger: every message SQS accepted", () => {
  test.each<[string, Case, Partial<Ledger["total"]>]>([
    ["kept once: handled once", { accepted: [msg("VIEW_EVENT", "a", "b", "m1")], journals: { b: [kept("a", "m1")] } }, { accepted: 1, handledOnce: 1 }],
    [
      "accepted twice under one msg_id (a replayed reply), kept once: one message, handled once",
      { accepted: [msg("VIEW_EVENT", "a", "b", "m1", { accepted: 2 })], journals: { b: [kept("a", "m1")] } },
      { accepted: 1, handledOnce: 1, acceptedAgain: 1 },
    ],
    ["kept twice: handled twice", { accepted: [msg("VIEW_EVENT", "a", "b", "m1")], journals: { b: [kept("a", "m1"), kept("a", "m1")] } }, { handledTwice: 1, handledOnce: 0 }],
    ["not kept, still in its queue", { accepted: [msg("CHOKE", "a", "b", "m1")], queued: { b: [dedupeKey("a", "m1")] } }, { stillQueued: 1, lost: 0 }],
    ["kept and still queued (its delete had not gone): handled once", { accepted: [msg("CHOKE", "a", "b", "m1")], journals: { b: [kept("a", "m1")] }, queued: { b: [dedupeKey("a", "m1")] } }, { handledOnce: 1, stillQueued: 0 }],
    ["not kept, not queued, deleted: lost", { accepted: [msg("CHOKE", "a", "b", "m1", { deleted: 1 })] }, { lost: 1, lostDeleted: 1 }],
    ["not kept, not queued, never deleted: lost", { accepted: [msg("CHOKE", "a", "b", "m1")] }, { lost: 1, lostDeleted: 0 }],
    ["kept by another node than its receiver: lost", { accepted: [msg("CHOKE", "a", "b", "m1")], journals: { c: [kept("a", "m1")] } }, { lost: 1 }],
    ["for a queue of no party: lost", { accepted: [{ ...msg("CHOKE", "a", "b", "m1"), queue: "elsewhere" }] }, { lost: 1 }],
    ["a party without a journal that handled it", { accepted: [pong("b", "driver", "p1", 1)], driverHandled: [dedupeKey("b", "p1")] }, { handledOnce: 1 }],
  ])("%s", (_what, c, want) => {
    expect(close(c).total).toMatchObject(want);
  });

  test("by type, and the totals add up", () => {
    const l = close({
      accepted: [msg("VIEW_EVENT", "a", "b", "v1"), msg("VIEW_EVENT", "a", "b", "v2"), msg("CHOKE", "a", "b", "c1")],
      journals: { b: [kept("a", "v1")] },
      queued: { b: [dedupeKey("a", "v2")] },
    });
    expect(l.byType.VIEW_EVENT).toMatchObject({ accepted: 2, handledOnce: 1, stillQueued: 1, lost: 0 });
    expect(l.byType.CHOKE).toMatchObject({ accepted: 1, lost: 1 });
    expect(l.total).toMatchObject({ accepted: 3, handledOnce: 1, stillQueued: 1, lost: 1 });
    expect(l.examples.lost).toEqual(["CHOKE a -> ds2032-node-b-p2p msg_id c1"]);
    expect(ledgerCloses(l)).toBe(false);
  });
});

describe("ledger: answers", () => {
  test.each<[string, Case, Partial<Ledger["answers"]["PING"]>]>([
    ["a PING handled, one PONG", { accepted: [ping("a", "b", "x1", 7), pong("b", "a", "y1", 7)], journals: { b: [kept("a", "x1")], a: [kept("b", "y1")] } }, { handled: 1, answeredOnce: 1 }],
    ["a PING handled, no PONG", { accepted: [ping("a", "b", "x1", 7)], journals: { b: [kept("a", "x1")] } }, { handled: 1, unanswered: 1 }],
    [
      "a PING handled, two PONGs (two msg_ids): answered twice",
      { accepted: [ping("a", "b", "x1", 7), pong("b", "a", "y1", 7), pong("b", "a", "y2", 7)], journals: { b: [kept("a", "x1")] } },
      { handled: 1, answeredOnce: 1, answeredTwice: 1 },
    ],
    ["a PONG of the wrong seq is no answer", { accepted: [ping("a", "b", "x1", 7), pong("b", "a", "y1", 8)], journals: { b: [kept("a", "x1")] } }, { unanswered: 1 }],
    ["a PONG from another node is no answer", { accepted: [ping("a", "b", "x1", 7), pong("c", "a", "y1", 7)], journals: { b: [kept("a", "x1")] } }, { unanswered: 1 }],
    [
      "a pinger's seq restarted with its worker: two PINGs of one seq, two PONGs, each answered once",
      { accepted: [ping("a", "b", "x1", 1), ping("a", "b", "x2", 1), pong("b", "a", "y1", 1), pong("b", "a", "y2", 1)], journals: { b: [kept("a", "x1"), kept("a", "x2")] } },
      { handled: 2, answeredOnce: 2, answeredTwice: 0 },
    ],
    ["a PING to a party that answers nothing (the driver) is not held to an answer", { accepted: [ping("a", "driver", "x1", 7)], driverHandled: [dedupeKey("a", "x1")] }, { handled: 0, unanswered: 0 }],
    [
      "answered, its PING still queued (the node died after the PONG left, before its line)",
      { accepted: [ping("a", "b", "x1", 7), pong("b", "a", "y1", 7)], queued: { b: [dedupeKey("a", "x1")] } },
      { handled: 0, answeredStillQueued: 1, answeredTwice: 0 },
    ],
  ])("PING -> PONG: %s", (_what, c, want) => {
    expect(close(c).answers.PING).toMatchObject(want);
  });

  test.each<[string, Case, Partial<Ledger["answers"]["HELLO"]>]>([
    [
      "its line names one PEER_LIST, accepted for the HELLO's sender",
      { accepted: [msg("HELLO", "a", "b", "h1"), msg("PEER_LIST", "b", "a", "l1")], journals: { b: [kept("a", "h1", ["l1"])] } },
      { handled: 1, answeredOnce: 1 },
    ],
    [
      "its line names a PEER_LIST SQS never accepted",
      { accepted: [msg("HELLO", "a", "b", "h1")], journals: { b: [kept("a", "h1", ["l1"])] } },
      { handled: 1, unanswered: 1 },
    ],
    [
      "the PEER_LIST it names went to another node: no answer",
      { accepted: [msg("HELLO", "a", "b", "h1"), msg("PEER_LIST", "b", "c", "l1")], journals: { b: [kept("a", "h1", ["l1"])] } },
      { unanswered: 1 },
    ],
    [
      "handled twice, each with its PEER_LIST: answered twice",
      {
        accepted: [msg("HELLO", "a", "b", "h1"), msg("PEER_LIST", "b", "a", "l1"), msg("PEER_LIST", "b", "a", "l2")],
        journals: { b: [kept("a", "h1", ["l1"]), kept("a", "h1", ["l2"])] },
      },
      { handled: 1, answeredTwice: 1 },
    ],
    ["still queued, not handled: not counted", { accepted: [msg("HELLO", "a", "b", "h1")], queued: { b: [dedupeKey("a", "h1")] } }, { handled: 0, unanswered: 0 }],
  ])("HELLO -> PEER_LIST: %s", (_what, c, want) => {
    expect(close(c).answers.HELLO).toMatchObject(want);
  });

  test("a reply a journal names that SQS never took is counted", () => {
    const l = close({ accepted: [msg("PEER_LIST", "a", "b", "l1")], journals: { b: [kept("a", "l1", ["h9"])] } });
    expect(l.repliesNotAccepted).toBe(1);
    expect(ledgerCloses(l)).toBe(false);
  });
});

describe("ledger: verdict", () => {
  const closing: Case = {
    accepted: [ping("a", "b", "x1", 7), pong("b", "a", "y1", 7), msg("HELLO", "a", "b", "h1"), msg("PEER_LIST", "b", "a", "l1")],
    journals: { b: [kept("a", "x1", ["y1"]), kept("a", "h1", ["l1"])], a: [kept("b", "y1"), kept("b", "l1")] },
  };

  test("closes when every message is handled once and every request answered once", () => {
    const l = close(closing);
    expect(l.total).toMatchObject({ accepted: 4, handledOnce: 4, lost: 0, handledTwice: 0 });
    expect(ledgerCloses(l)).toBe(true);
  });

  test.each<[string, Case]>([
    ["a vote counted twice", { ...closing, journals: { ...closing.journals, a: [...closing.journals!.a!, vote("k"), vote("k")] } }],
    ["the record's bound reached", { ...closing, overflow: 1 }],
    ["nothing accepted at all", { accepted: [] }],
  ])("does not close: %s", (_what, c) => {
    expect(ledgerCloses(close(c))).toBe(false);
  });

  test("sources the caller knows to be partial make it incomplete, saying why", () => {
    const l = closeLedger({ ...inputOf(closing), incomplete: ["hugo's journal reached its bound"] });
    expect([l.complete, l.incomplete, ledgerCloses(l)]).toEqual([false, ["hugo's journal reached its bound"], false]);
  });

  test("a record past its bound says so", () => {
    const l = close({ ...closing, overflow: 3 });
    expect(l.complete).toBe(false);
    expect(l.incomplete).toEqual(["3 accepted messages past the record's bound"]);
  });
});
