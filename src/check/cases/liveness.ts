import { defineCases, type CheckSession } from "../session.ts";
import type { Seen } from "../observer.ts";
import { exchange, outOfTime, pause, recs, replyAt, replyMs, seconds } from "./util.ts";
import { freeRiders } from "./scenarios.ts";
import { parseTimestampMs } from "../../protocol/index.ts";

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
      const p = await s.probe("pinger");
      const t0 = Date.now();
      for (const seq of SEQS) p.send(s.target, "PING", { seq });
      const got = await Promise.all(SEQS.map((seq) => replyAt(s, p, "PONG", replyMs(s.timing), (m) => m.seq === seq)));
      const missing = SEQS.filter((_, i) => got[i] === null);
      // PONGs whose seq no PING of this probe carried (the probe serves other cases too: their seqs are its own).
      const sentSeqs = new Set(s.observer.all().flatMap((x) => (x.rec.dir === "out" && x.rec.observer === p.id && x.parsed.ok && x.parsed.message.type === "PING" ? [x.parsed.message.seq] : [])));
      const wrong = s.observer.received(s.target, (x) => x.rec.observer === p.id && x.message.type === "PONG" && x.rec.atMs >= t0 && !sentSeqs.has(x.message.seq));
      const expected = `a PONG for each of seq ${SEQS.join(", ")} within ${seconds(replyMs(s.timing))}`;
      const observed =
        missing.length === 0 && wrong.length === 0
          ? `all ${SEQS.length} PONGs, slowest after ${Math.max(...got.map((g) => g!.rec.atMs - t0))} ms`
          : [missing.length > 0 ? `no PONG for seq ${missing.join(", ")}` : "", wrong.length > 0 ? `PONGs with seq ${wrong.map((w) => (w.message as { seq: number }).seq).join(", ")} that no PING carried` : ""]
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
      const p = await s.probe("stranger");
      const t0 = Date.now();
      p.send(s.target, "PING", { seq: 7 });
      const pong = await replyAt(s, p, "PONG", replyMs(s.timing), (m) => m.seq === 7);
      const expected = `a PONG at the stranger's naming-scheme queue within ${seconds(replyMs(s.timing))}`;
      return { verdict: pong ? "pass" : "fail", expected, observed: pong ? `PONG after ${pong.rec.atMs - t0} ms` : "no PONG", evidence: recs(exchange(s, p, t0)) };
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
      const p = await s.probe("pinger");
      const t0 = Date.now();
      const seqs = Array.from({ length: BURST_PINGS }, (_, i) => 1000 + i);
      for (const seq of seqs) p.send(s.target, "PING", { seq });
      const got = await Promise.all(seqs.map((seq) => replyAt(s, p, "PONG", 2 * replyMs(s.timing), (m) => m.seq === seq)));
      const missing = seqs.filter((_, i) => got[i] === null);
      return {
        verdict: missing.length === 0 ? "pass" : "fail",
        expected: `${BURST_PINGS} PONGs within ${seconds(2 * replyMs(s.timing))}`,
        observed: missing.length === 0 ? `all ${BURST_PINGS}, the last after ${Math.max(...got.map((g) => g!.rec.atMs - t0))} ms` : `${BURST_PINGS - missing.length} of ${BURST_PINGS}; none for seq ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? "…" : ""}`,
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
      // When the node sent them, by its own timestamps: a queue slow to deliver is not the node's doing.
      const sentAt = (x: Seen) => parseTimestampMs(x.parsed.ok ? x.parsed.message.timestamp : "") ?? x.rec.atMs;
      const pings = s.observer.received(s.target, (x) => x.rec.observer === p.id && x.message.type === "PING" && sentAt(x) >= from && sentAt(x) <= from + windowMs);
      const times = [from, ...pings.map(sentAt).sort((a, b) => a - b), from + windowMs];
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
]);
