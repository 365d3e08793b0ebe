/**
 * A rejected body costs the next valid message nothing (docs/protocol.md §2,
 * WIRE-6): against a bot run by `fleet up`, each kind of bad body that
 * `fleet check` sends (tran-05..12), then a valid PING, and the PONG must
 * leave before the bot's own heartbeat has come round twice. The bot's
 * clock is the ruler: its PONG and its heartbeat PINGs to us carry their
 * send times, so a loaded machine slows the ruler with the node and the
 * verdict stays the same; no wall-clock bound is asserted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BAD_BODY_KINDS, badBodiesOf, type BadBodyKind } from "../../src/protocol/bad-bodies.ts";
import { deleteMessages, receiveMessages, sendMessage } from "../../src/sqs/messages.ts";
import { botNodes, envelope, FAST_TIMING, fleetFile, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { FAST_TIMING_MS, NET } from "../support/network.ts";

const BOT = "bot-alpha";
const ME = "latency";
/**
 * Heartbeat PINGs the bot may send us between our PING and its PONG. A PONG
 * that leaves within a normal poll sees none or one (a tick may fall in the
 * few ms); two allow for a loaded machine's scheduling, and anything held
 * back for seconds shows as several.
 */
const HEARTBEATS_BETWEEN_MAX = 2;
/** Rounds per case. */
const ROUNDS = 3;

interface Seen {
  type: string;
  sender: string;
  seq?: number;
  /** The sender's clock when it sent the message, ms. */
  atMs: number;
}

let f: FleetProc;
const seen: Seen[] = [];
let receiving = true;
let loop: Promise<void> = Promise.resolve();
let nextSeq = 880_000;
/** Per case: ms from our PING to the bot's PONG, on the bot's clock, and its heartbeat PINGs between. */
const figures: Array<{ name: string; pongMs: number; heartbeats: number }> = [];

/** Takes everything the bot sends us and answers its PINGs, so that we stay a live peer it keeps PINGing. */
async function receiveLoop(): Promise<void> {
  while (receiving) {
    const got = await receiveMessages(f.sqs, queueUrl(ME), 1).catch(() => []);
    if (got.length > 0) await deleteMessages(f.sqs, queueUrl(ME), got.map((m) => m.receiptHandle)).catch(() => 0);
    for (const m of got) {
      const o = JSON.parse(m.body) as { type: string; sender: string; seq?: number; timestamp: string };
      seen.push({ type: o.type, sender: o.sender, seq: o.seq, atMs: Date.parse(o.timestamp) });
      if (o.type === "PING" && o.seq !== undefined) await sendMessage(f.sqs, queueUrl(o.sender), JSON.stringify({ ...envelope("PONG", ME, `pong-${o.sender}-${o.seq}-${seen.length}`), seq: o.seq }));
    }
  }
}

/** Sends `bodies` each alone (the oversized one would not fit a batch), then a valid PING; what the bot's clock says of its PONG. */
async function pingAfter(bodies: readonly string[]): Promise<{ pongMs: number; heartbeats: number }> {
  for (const b of bodies) await sendMessage(f.sqs, queueUrl(BOT), b);
  const seq = nextSeq++;
  const sentMs = Date.now();
  await sendMessage(f.sqs, queueUrl(BOT), JSON.stringify({ ...envelope("PING", ME, `ping-${seq}`), seq }));
  const pong = await until(`the PONG of seq ${seq}`, 30_000, () => seen.find((m) => m.type === "PONG" && m.sender === BOT && m.seq === seq));
  // Its heartbeat PINGs that left before the PONG did: they are sent on the same tick grid, so they may reach us after it.
  await until(`${BOT}'s next heartbeat after the PONG`, 30_000, () => seen.some((m) => m.type === "PING" && m.sender === BOT && m.atMs > pong.atMs));
  const heartbeats = seen.filter((m) => m.type === "PING" && m.sender === BOT && m.atMs > sentMs && m.atMs < pong.atMs).length;
  return { pongMs: pong.atMs - sentMs, heartbeats };
}

const bodiesOf = (kind: BadBodyKind) => badBodiesOf(kind).map((b) => b.body({ sender: ME, target: BOT, now: new Date().toISOString(), net: NET }));

const CASES: Array<[string, () => string[]]> = [
  ["valid PINGs only", () => []],
  ...BAD_BODY_KINDS.map((k): [string, () => string[]] => [k.id, () => bodiesOf(k.id)]),
  ["every rejected body of the check at once", () => BAD_BODY_KINDS.flatMap((k) => bodiesOf(k.id))],
];

describe(`a bot of fleet up answers the PING after bad bodies within a heartbeat (${FAST_TIMING_MS.heartbeatMs} ms)`, () => {
  beforeAll(async () => {
    f = await startFleetProc(fleetFile(botNodes(), [FAST_TIMING]));
    await f.createQueue(queueName(ME));
    loop = receiveLoop();
    await sendMessage(f.sqs, queueUrl(BOT), JSON.stringify({ ...envelope("HELLO", ME, "hello-1"), queue_url: queueUrl(ME) }));
    // A peer it PINGs every heartbeat: the ruler of the cases.
    await until(`${BOT} PINGs us`, 20_000, () => seen.some((m) => m.type === "PING" && m.sender === BOT));
  }, 30_000);

  afterAll(async () => {
    receiving = false;
    await loop;
    if (figures.length > 0) {
      const bad = figures.filter((x) => x.name !== CASES[0]![0]).map((x) => x.pongMs).sort((a, b) => a - b);
      const valid = figures.filter((x) => x.name === CASES[0]![0]).map((x) => x.pongMs).sort((a, b) => a - b);
      const p50 = (xs: number[]) => xs[Math.floor(xs.length / 2)];
      // Figures for the report, on the bot's clock.
      console.log(`PONG after bad bodies: p50 ${p50(bad)} ms, max ${bad.at(-1)} ms (${bad.length}); after valid PINGs only: p50 ${p50(valid)} ms, max ${valid.at(-1)} ms (${valid.length})`);
    }
    await f?.stop();
    f?.kill();
  });

  test.each(CASES)("%s, then a PING: the PONG leaves before two heartbeats do", async (name, make) => {
    // Three rounds, judged by the middle one: a delay the bodies cause comes every time, one stall of a loaded machine once.
    const heartbeats: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await pingAfter(make());
      figures.push({ name, ...r });
      heartbeats.push(r.heartbeats);
    }
    const middle = [...heartbeats].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
    expect({ name, heartbeats, middle }).toEqual({ name, heartbeats, middle: Math.min(middle, HEARTBEATS_BETWEEN_MAX) });
    const n = await f.node(BOT);
    expect([n.state, n.restarts]).toEqual(["running", 0]);
  }, 60_000);
});
