/**
 * The bad input corpus of docs/protocol.md §2 (WIRE-6) against a running fleet: each body
 * goes to bot-bravo's queue between two valid PINGs. After each, both PINGs
 * got their PONG (the bot still answers and the message sent around the bad
 * one was handled), the effect was counted by its reason in /health, and the
 * log holds at most one line per reason per minute.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { HealthNode } from "../../src/fleet/health-types.ts";
import { BAD_BODIES, type BadBodyEffect } from "../../src/protocol/bad-bodies.ts";
import { botNodes, envelope, fleetFile, logLinesOf, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { NET } from "../support/network.ts";

const BOT = "bot-bravo";
const PROBER = "prober";

const FLEET = fleetFile(botNodes());

let f: FleetProc;
let startedMs = 0;
const pongs = new Set<number>();

const ping = (msgId: string, seq: number) => ({ ...envelope("PING", PROBER, msgId), seq });

/** [what, body, what /health must show afterwards]: the protocol's corpus, every body of it, as the prober sends it to the bot. */
const CORPUS: Array<[string, () => string, BadBodyEffect]> = BAD_BODIES.map((b) => [b.name, () => b.body({ sender: PROBER, target: BOT, now: new Date().toISOString(), net: NET }), b.effect]);

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
