import { BAD_BODY_KINDS, badBodiesOf } from "../../protocol/bad-bodies.ts";
import type { CaseDef, CheckSession } from "../session.ts";
import type { Outcome } from "../types.ts";
import { exchange, pause, pingAll, recs, replyAt, replyMs, seconds, strayPongNote } from "./util.ts";

/** How long to wait, after the answer that came, for one that must not. */
function graceMs(s: CheckSession): number {
  return Math.min(replyMs(s.timing), Math.max(1_000, 2 * s.timing.heartbeatMs));
}

/** PINGs with these bodies' twists must each get a PONG of their seq. */
async function pingsAnswered(s: CheckSession, probeName: string, pings: Array<{ seq: number; body: (sender: string, msgId: string) => string }>, expected: string): Promise<Outcome> {
  const { p, t0, missing } = await pingAll(s, probeName, pings, replyMs(s.timing));
  return {
    verdict: missing.length === 0 ? "pass" : "fail",
    expected,
    observed: missing.length === 0 ? `${pings.length} of ${pings.length} answered` : `no PONG for seq ${missing.join(", ")}${strayPongNote(s.observer, s.target, p.id, t0)}`,
    evidence: recs(exchange(s, p, t0, 12)),
  };
}

const ping = (sender: string, msgId: string, seq: number, ts = new Date().toISOString(), extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "PING", sender, timestamp: ts, msg_id: msgId, seq, ...extra });

/** One case per kind of bad body: the node must answer the PING that follows, and (with --run) still be the same process. */
const badBodyCases: CaseDef[] = BAD_BODY_KINDS.map((kind, i) => ({
  id: `tran-${String(5 + i).padStart(2, "0")}`,
  title: `survives ${kind.title}`,
  area: "transport",
  requirement: kind.id === "huge-list" ? "BOUND-2" : "WIRE-6",
  phase: "quick",
  needsMs: (t) => 3 * replyMs(t),
  async run(s) {
    const p = await s.probe("pinger");
    const before = s.processState();
    const t0 = Date.now();
    const ctx = { sender: p.id, target: s.target, now: new Date().toISOString(), net: s.net };
    const bodies = badBodiesOf(kind.id).map((b) => b.body(ctx));
    // Each alone: the batching sender would refuse the oversized one, and a case must never pass on a body that was not sent.
    const sent = await Promise.all(bodies.map((b) => p.sendAlone(s.target, b)));
    const refused = sent.flatMap((r) => (r.ok ? [] : [r.detail]));
    if (refused.length > 0) {
      return { verdict: "skip", expected: "the bodies delivered to the node", observed: `SQS refused ${refused.length} of ${bodies.length}: ${refused[0]}`, reason: "SQS would not take the body, so the node could not be sent it" };
    }
    const seq = 77_000 + i;
    const gone = () => s.processState()?.running === false;
    p.send(s.target, "PING", { seq });
    let pong = gone() ? null : await replyAt(s, p, "PONG", replyMs(s.timing), (m) => m.seq === seq);
    // Surviving is answering at all: a node slow to work through the bodies (a loaded machine) gets a second PING and longer.
    let late = false;
    if (!pong && !gone()) {
      p.send(s.target, "PING", { seq: seq + 500 });
      pong = await replyAt(s, p, "PONG", 2 * replyMs(s.timing), (m) => m.seq === seq || m.seq === seq + 500);
      late = pong !== null;
    }
    const after = s.processState();
    const restarted = before && after && (!after.running || after.starts !== before.starts);
    const expected = `after ${bodies.length} such bod${bodies.length === 1 ? "y" : "ies"}, a PONG to the next PING, same process`;
    const observed = restarted ? `the node's process ${after!.running ? "was restarted" : `ended (${after!.exit ?? "exited"})`}` : pong ? `answered after ${pong.rec.atMs - t0} ms${late ? " (late: a second PING was needed)" : ""}` : `no PONG to the PING that followed, nor to another within ${seconds(3 * replyMs(s.timing))}${strayPongNote(s.observer, s.target, p.id, t0)}`;
    return { verdict: pong && !restarted ? "pass" : "fail", expected, observed, evidence: recs(exchange(s, p, t0, 10)) };
  },
}));

export const transportCases: CaseDef[] = [
  {
    id: "tran-01",
    title: "a redelivered message (same sender and msg_id) is handled once",
    area: "transport",
    requirement: "WIRE-4",
    phase: "quick",
    needsMs: (t) => replyMs(t) + Math.max(1_000, 2 * t.heartbeatMs),
    async run(s) {
      const p = await s.probe("pinger");
      const t0 = Date.now();
      const twice = ping(p.id, "dup-once", 555_001);
      p.sendRaw(s.target, twice);
      p.sendRaw(s.target, twice);
      p.send(s.target, "PING", { seq: 555_002 });
      const [a, b] = await Promise.all([555_001, 555_002].map((seq) => replyAt(s, p, "PONG", replyMs(s.timing), (m) => m.seq === seq)));
      await pause(s, graceMs(s));
      const pongs = s.observer.received(s.target, (x) => x.rec.observer === p.id && x.message.type === "PONG" && x.message.seq === 555_001);
      const expected = "exactly one PONG for the PING delivered twice";
      const evidence = recs(exchange(s, p, t0, 8));
      if (!a || !b) return { verdict: "fail", expected, observed: `no PONG for seq ${!a ? 555_001 : 555_002}${strayPongNote(s.observer, s.target, p.id, t0)}`, evidence };
      return { verdict: pongs.length === 1 ? "pass" : "fail", expected, observed: `${pongs.length} PONGs`, evidence };
    },
  },
  {
    id: "tran-02",
    title: "order does not matter: PINGs arriving newest first are all answered",
    area: "transport",
    requirement: "WIRE-3",
    phase: "quick",
    needsMs: replyMs,
    run: (s) =>
      pingsAnswered(
        s,
        "pinger",
        [5, 4, 3, 2, 1].map((k) => ({ seq: 660_000 + k, body: (from, id) => ping(from, id, 660_000 + k, new Date(Date.now() - (6 - k) * 60_000).toISOString()) })),
        "a PONG for each of 5 PINGs sent with their timestamps in reverse order",
      ),
  },
  {
    id: "tran-03",
    title: "unknown fields are ignored",
    area: "transport",
    requirement: "WIRE-5",
    phase: "quick",
    needsMs: replyMs,
    run: (s) =>
      pingsAnswered(
        s,
        "pinger",
        [{ seq: 670_001, body: (from, id) => ping(from, id, 670_001, undefined, { ttl: 3, via: ["x"], meta: { nested: { deep: true } }, seq_hint: "7" }) }],
        "a PONG to a PING carrying fields the protocol does not know",
      ),
  },
  {
    id: "tran-04",
    title: "the notebook's timestamp form (+00:00, microseconds) is accepted",
    area: "transport",
    requirement: "FIELD-5",
    phase: "quick",
    needsMs: replyMs,
    run: (s) =>
      pingsAnswered(
        s,
        "pinger",
        [
          { seq: 680_001, body: (from, id) => ping(from, id, 680_001, new Date().toISOString().replace("Z", "123+00:00")) },
          { seq: 680_002, body: (from, id) => ping(from, id, 680_002, new Date().toISOString().replace(/\.\d+Z$/, "+00:00")) },
          { seq: 680_003, body: (from, id) => ping(from, id, 680_003, new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, ".5+01:00")) },
        ],
        "a PONG to PINGs stamped 2026-…T…:…:….123456+00:00, …+00:00 and an hour east",
      ),
  },
  ...badBodyCases,
];
