import { defineCases, type CheckSession } from "../session.ts";
import type { Seen } from "../observer.ts";
import { exchange, info, nothingToObserve, outOfTime, pause, pingAll, quantile, recs, replyAt, replyMs, seconds, sentAtMs, strayPongNote, strayPongSeqs } from "./util.ts";
import { freeRiders } from "./scenarios.ts";
import { LIMITS } from "../../core/config.ts";

/** seq values a PONG must echo: the smallest, the usual, past 32 bits, the largest a JSON number holds exactly. */
export const SEQS = [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER] as const;

/** PINGs in the burst case: one receive batch of SQS is 10; five of them. */
export const BURST_PINGS = 50;

/** Heartbeats watched for the node's own PINGs. */
const WATCH_BEATS = 8;

/** How often a peer must hear from the node: silent 3 heartbeats, it is suspect (docs/protocol.md). */
const SUSPECT_BEATS = 3;

export const livenessCases = defineCases([
  {
    id: "live-01",
    title: "answers PING with a PONG of the same seq (0, 1, 2^31, 2^53-1), to the sender, in time",
    area: "liveness",
    requirement: "PING-1",
    phase: "quick",
    needsMs: replyMs,
    async run(s) {
      const { p, t0, got, missing } = await pingAll(s, "pinger", SEQS.map((seq) => ({ seq })), replyMs(s.timing));
      // PONGs whose seq no PING of this probe carried (the probe serves other cases too: their seqs are its own).
      const wrong = strayPongSeqs(s.observer, s.target, p.id, t0);
      const expected = `a PONG for each of seq ${SEQS.join(", ")} within ${seconds(replyMs(s.timing))}`;
      const observed =
        missing.length === 0 && wrong.length === 0
          ? `all ${SEQS.length} PONGs, slowest after ${Math.max(...got.map((g) => g!.rec.atMs - t0))} ms`
          : [missing.length > 0 ? `no PONG for seq ${missing.join(", ")}` : "", wrong.length > 0 ? `PONGs with seq ${wrong.join(", ")} that no PING carried` : ""]
              .filter(Boolean)
              .join("; ");
      return { verdict: missing.length === 0 && wrong.length === 0 ? "pass" : "fail", expected, observed, evidence: recs(exchange(s, p, t0, 10)) };
    },
  },
  {
    id: "live-02",
    title: "answers the PING of a node it never heard of",
    area: "liveness",
    requirement: "URL-4",
    phase: "quick",
    needsMs: replyMs,
    async run(s) {
      const {
        p,
        t0,
        got: [pong],
      } = await pingAll(s, "stranger", [{ seq: 7 }], replyMs(s.timing));
      const expected = `a PONG at the stranger's naming-scheme queue within ${seconds(replyMs(s.timing))}`;
      return { verdict: pong ? "pass" : "fail", expected, observed: pong ? `PONG after ${pong.rec.atMs - t0} ms` : `no PONG${strayPongNote(s.observer, s.target, p.id, t0)}`, evidence: recs(exchange(s, p, t0)) };
    },
  },
  {
    id: "live-03",
    title: `still answers after a burst of ${BURST_PINGS} PINGs`,
    area: "liveness",
    requirement: "PING-1",
    phase: "quick",
    needsMs: (t) => 2 * replyMs(t),
    async run(s) {
      const { p, t0, got, missing } = await pingAll(s, "pinger", Array.from({ length: BURST_PINGS }, (_, i) => ({ seq: 1000 + i })), 2 * replyMs(s.timing));
      return {
        verdict: missing.length === 0 ? "pass" : "fail",
        expected: `${BURST_PINGS} PONGs within ${seconds(2 * replyMs(s.timing))}`,
        observed: missing.length === 0 ? `all ${BURST_PINGS}, the last after ${Math.max(...got.map((g) => g!.rec.atMs - t0))} ms` : `${BURST_PINGS - missing.length} of ${BURST_PINGS}; none for seq ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? "…" : ""}${strayPongNote(s.observer, s.target, p.id, t0)}`,
        evidence: recs(exchange(s, p, t0, 6)),
      };
    },
  },
  {
    id: "live-04",
    title: "PINGs its peers at the network's heartbeat",
    area: "liveness",
    requirement: "BEAT-1",
    phase: "long",
    needsMs: (t) => (WATCH_BEATS + 2) * t.heartbeatMs + replyMs(t),
    async run(s) {
      const hb = s.timing.heartbeatMs;
      const p = await s.probe("hello");
      p.send(s.target, "HELLO", { queue_url: p.queueUrl });
      const joined = await replyAt(s, p, "PEER_LIST", replyMs(s.timing));
      const from = Date.now();
      const windowMs = WATCH_BEATS * hb;
      await pause(s, windowMs + hb);
      if (Date.now() < from + windowMs) return outOfTime(`PINGs over ${WATCH_BEATS} heartbeats`);
      const pings = s.observer.received(s.target, (x) => x.rec.observer === p.id && x.message.type === "PING" && sentAtMs(x) >= from && sentAtMs(x) <= from + windowMs);
      const times = [from, ...pings.map(sentAtMs).sort((a, b) => a - b), from + windowMs];
      let gapMs = 0;
      for (let i = 1; i < times.length; i++) gapMs = Math.max(gapMs, times[i]! - times[i - 1]!);
      const ok = pings.length > 0 && gapMs < SUSPECT_BEATS * hb;
      return {
        verdict: ok ? "pass" : "fail",
        expected: `a PING at least every ${SUSPECT_BEATS} heartbeats (${seconds(SUSPECT_BEATS * hb)}; heartbeat ${seconds(hb)}), else its peers suspect it`,
        observed: `${pings.length} PINGs in ${seconds(windowMs)}, longest silence ${seconds(gapMs)}${joined ? "" : " (the node never answered this peer's HELLO)"}`,
        evidence: recs(pings.slice(0, 10)),
      };
    },
  },
  {
    id: "live-05",
    title: "keeps answering the PINGs of a peer it chokes",
    area: "liveness",
    requirement: "PING-2",
    phase: "long",
    needsMs: (t) => 10 * t.rechokeMs + 2 * replyMs(t),
    async run(s: CheckSession) {
      const rider = await freeRiders(s);
      if (!rider.choke || !rider.choked) return { verdict: "skip", expected: "a PONG from a node that chokes the pinger", observed: "the node never choked the free rider", reason: "no CHOKE came (case rep-02)" };
      const pong: Seen | null = rider.chokedPong;
      const t0 = rider.chokedPing?.rec.atMs ?? 0;
      return {
        verdict: pong ? "pass" : "fail",
        expected: `a PONG within ${seconds(replyMs(s.timing))}, choked or not`,
        observed: pong ? `PONG after ${pong.rec.atMs - t0} ms while choking the pinger` : "no PONG",
        evidence: recs([rider.choke, rider.chokedPing, pong]),
      };
    },
  },
  {
    id: "live-06",
    title: "how often it PINGs each peer, against the heartbeat (an observation)",
    area: "liveness",
    requirement: "BEAT-1",
    phase: "final",
    observation: true,
    needsMs: () => 0,
    async run(s) {
      const hb = s.timing.heartbeatMs;
      const expected = `a PING to every live or suspect peer each heartbeat (${seconds(hb)}); a dead one every ${LIMITS.deadPingEveryBeats}th`;
      const byPeer = new Map<string, number[]>();
      for (const x of s.observer.received(s.target, (x) => x.message.type === "PING")) byPeer.set(x.rec.to, [...(byPeer.get(x.rec.to) ?? []), sentAtMs(x)]);
      const gaps = [...byPeer.values()].flatMap((ts) => ts.sort((a, b) => a - b).slice(1).map((t, i) => t - ts[i]!)).sort((a, b) => a - b);
      if (gaps.length === 0) return nothingToObserve(expected, `PINGs to ${byPeer.size} peers, never two to one`, "the node sent no peer of the check two PINGs, so there is no rate to observe");
      const beats = (ms: number) => `${seconds(ms)}, ${(ms / hb).toFixed(2)} heartbeats`;
      const pings = [...byPeer.values()].reduce((n, ts) => n + ts.length, 0);
      return info(expected, `${pings} PINGs to ${byPeer.size} of the check's parties; between two to one peer: median ${beats(quantile(gaps, 0.5))}, p90 ${beats(quantile(gaps, 0.9))}`);
    },
  },
  {
    id: "live-07",
    title: "how soon its PONGs come: latency p50 and p99 (an observation)",
    area: "liveness",
    requirement: "PING-1",
    phase: "final",
    observation: true,
    needsMs: () => 0,
    async run(s) {
      const expected = `a PONG to every PING, within ${seconds(replyMs(s.timing))} as the cases wait (from a party's send to its receipt, SQS's delivery included)`;
      // The parties' PINGs to the node, by party and seq, until the first PONG of that seq reaches the party.
      const pending = new Map<string, Seen>();
      const answered: Array<{ ms: number; ping: Seen; pong: Seen }> = [];
      for (const x of s.observer.all()) {
        if (!x.parsed.ok || (x.parsed.message.type !== "PING" && x.parsed.message.type !== "PONG")) continue;
        const key = `${x.rec.observer}\u0000${x.parsed.message.seq}`;
        if (x.rec.dir === "out" && x.rec.to === s.target && x.parsed.message.type === "PING") {
          if (!pending.has(key)) pending.set(key, x);
        } else if (x.rec.dir === "in" && x.parsed.message.sender === s.target && x.parsed.message.type === "PONG") {
          const ping = pending.get(key);
          if (!ping) continue;
          pending.delete(key);
          answered.push({ ms: x.rec.atMs - ping.rec.atMs, ping, pong: x });
        }
      }
      if (answered.length === 0) return nothingToObserve(expected, "no PONG seen", "the node answered no PING of the check's parties, so there is no latency to observe (case live-01)");
      const ms = answered.map((a) => a.ms).sort((a, b) => a - b);
      const slowest = answered.reduce((a, b) => (b.ms > a.ms ? b : a));
      return info(
        expected,
        `${answered.length} PINGs answered: p50 ${quantile(ms, 0.5)} ms, p99 ${quantile(ms, 0.99)} ms, slowest ${slowest.ms} ms${pending.size ? `; ${pending.size} without a PONG seen by the end` : ""}`,
        [slowest.ping, slowest.pong],
      );
    },
  },
]);
