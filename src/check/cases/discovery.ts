import { checkQueueUrl, type MessageOf } from "../../protocol/index.ts";
import { LIMITS } from "../../core/config.ts";
import { defineCases, type CaseDef, type CheckSession } from "../session.ts";
import type { Outcome, WireRecord } from "../types.ts";
import type { TimingMs } from "../../core/types.ts";
import { answersHello, exchange, info, nothingToObserve, quantile, recs, replyAt, replyMs, repliesAt, seconds, sentAtMs, type From } from "./util.ts";

/**
 * HELLOs of one burst: more than the node's gossip alone can bring that
 * probe in the reply window. A PEER_LIST carries nothing that says whether
 * it answers a HELLO or is gossip, and gossip every interval to 3 of a few
 * peers reaches a probe in time; but gossip reaches a peer at most once an
 * interval, and never before the node heard of it. From the probe's first
 * message on, gossip brings at most floor(span / gossip interval) + 1
 * PEER_LISTs; one more than that can only be there because HELLOs were
 * answered.
 */
export function helloBurst(t: TimingMs, spanMs: number): number {
  return Math.floor(spanMs / Math.max(1, t.gossipMs)) + 2;
}

/** A probe says HELLO in a burst; the PEER_LIST cases all judge its answers. */
function helloExchange(s: CheckSession) {
  return s.scenario("hello", async () => {
    const p = await s.probe("hello");
    const t0 = Date.now();
    const waitMs = replyMs(s.timing);
    // The probe may have spoken first (another case's HELLO, a report): from then on the node may gossip to it.
    const firstContact = Math.min(t0, ...s.observer.all().filter((x) => x.rec.dir === "out" && x.rec.observer === p.id && x.rec.to === s.target).map((x) => x.rec.atMs));
    const burst = helloBurst(s.timing, t0 + waitMs - firstContact);
    for (let i = 0; i < burst; i++) p.send(s.target, "HELLO", { queue_url: p.queueUrl });
    // Counted up to t0 + waitMs exactly: the span the bound on gossip was worked out for.
    const replies = await repliesAt(s, p, "PEER_LIST", burst, t0 + waitMs - Date.now(), firstContact);
    return { probe: p, t0, firstContact, burst, waitMs, replies, reply: replies[0] ?? null, evidence: () => recs(exchange(s, p, t0, burst + 4)) };
  });
}

const noReply = (waitedMs: number): Outcome => ({
  verdict: "skip",
  expected: "a PEER_LIST to judge",
  observed: `no PEER_LIST within ${seconds(waitedMs)} of a HELLO`,
  reason: "the node never answered a HELLO (case disc-01)",
});

/** A case judging the first PEER_LIST that answered the HELLO probe's burst (skipped when none came). */
const peerListCase = (c: Pick<CaseDef, "id" | "title" | "requirement"> & { judge: (s: CheckSession, reply: From<"PEER_LIST">, evidence: WireRecord[]) => Outcome }): CaseDef => ({
  id: c.id,
  title: c.title,
  area: "discovery",
  requirement: c.requirement,
  phase: "quick",
  needsMs: replyMs,
  async run(s) {
    const { reply, evidence } = await helloExchange(s);
    return reply ? c.judge(s, reply, evidence()) : noReply(replyMs(s.timing));
  },
});

function entryProblems(s: CheckSession, reply: From<"PEER_LIST">): string[] {
  const m = reply.message;
  const problems: string[] = [];
  if (m.peers.length > LIMITS.peerListMax) problems.push(`${m.peers.length} entries (at most ${LIMITS.peerListMax})`);
  const ids = new Set<string>();
  for (const e of m.peers) {
    if (ids.has(e.node_id)) problems.push(`${e.node_id} listed twice`);
    ids.add(e.node_id);
    if (e.queue_url !== undefined) {
      const v = checkQueueUrl(s.net, e.queue_url, e.node_id);
      if (!v.ok) problems.push(`${e.node_id}: queue_url ${JSON.stringify(e.queue_url.slice(0, 120))} is not allowed (${v.reason}: ${v.detail})`);
    }
  }
  return problems;
}

export const discoveryCases = defineCases([
  {
    id: "disc-01",
    title: "answers HELLO with a PEER_LIST to the announced queue, in time",
    area: "discovery",
    requirement: "HELLO-3",
    phase: "quick",
    needsMs: replyMs,
    async run(s) {
      const { replies, burst, t0, firstContact, waitMs, evidence } = await helloExchange(s);
      const gossipMax = burst - 1;
      const expected = `${burst} PEER_LISTs at the HELLO's queue_url within ${seconds(waitMs)} of a burst of ${burst} HELLOs (gossip every ${seconds(s.timing.gossipMs)} brings that probe at most ${gossipMax} in that span)`;
      if (replies.length < burst) {
        const observed = replies.length === 0 ? "no PEER_LIST arrived" : `${replies.length} PEER_LISTs, no more than gossip alone may bring: the HELLOs went unanswered`;
        return { verdict: "fail", expected, observed, evidence: evidence() };
      }
      const last = replies[burst - 1]!;
      return { verdict: "pass", expected, observed: `${replies.length} PEER_LISTs, the ${burst}th after ${last.rec.atMs - t0} ms${firstContact < t0 ? ` (the probe first wrote ${t0 - firstContact} ms before the burst)` : ""}`, evidence: evidence() };
    },
  },
  peerListCase({
    id: "disc-02",
    title: "a PEER_LIST names its sender first, with its own queue URL",
    requirement: "PEERS-2",
    judge(s, reply, evidence) {
      const first = reply.message.peers[0];
      const expected = `peers[0] = {node_id: "${s.target}", queue_url: its own queue}`;
      const observed = first === undefined ? "an empty list" : JSON.stringify(first).slice(0, 200);
      const ok =
        first !== undefined &&
        first.node_id === s.target &&
        (first.queue_url === undefined || checkQueueUrl(s.net, first.queue_url, s.target).ok);
      return { verdict: ok ? "pass" : "fail", expected, observed, evidence };
    },
  }),
  peerListCase({
    id: "disc-03",
    title: "PEER_LIST entries are well formed, allowed and within the bound",
    requirement: "BOUND-1",
    judge(s, reply, evidence) {
      const problems = entryProblems(s, reply);
      return {
        verdict: problems.length === 0 ? "pass" : "fail",
        expected: `at most ${LIMITS.peerListMax} entries, each node once, every queue_url an allowed URL of that node`,
        observed: problems.length === 0 ? `${reply.message.peers.length} entries, all allowed` : problems.slice(0, 5).join("; "),
        evidence,
      };
    },
  }),
  {
    id: "disc-04",
    title: "says HELLO to a peer it learned from a PEER_LIST",
    area: "discovery",
    requirement: "PEERS-4",
    phase: "quick",
    needsMs: replyMs,
    async run(s) {
      const lister = await s.probe("lister");
      const newcomer = await s.probe("newcomer");
      const t0 = Date.now();
      lister.send(s.target, "PEER_LIST", {
        peers: [
          { node_id: lister.id, queue_url: lister.queueUrl },
          { node_id: newcomer.id, queue_url: newcomer.queueUrl },
        ],
      });
      const hello = await replyAt(s, newcomer, "HELLO", replyMs(s.timing));
      const expected = `a HELLO at ${newcomer.id}'s queue within ${seconds(replyMs(s.timing))}`;
      const evidence = recs([...exchange(s, lister, t0, 2), hello]);
      if (!hello) return { verdict: "fail", expected, observed: `${newcomer.id} got no HELLO`, evidence };
      const url = hello.message.queue_url;
      const v = checkQueueUrl(s.net, url, s.target);
      if (!v.ok) return { verdict: "fail", expected, observed: `HELLO's queue_url ${url} is not the node's own (${v.detail})`, evidence };
      return { verdict: "pass", expected, observed: `HELLO after ${hello.rec.atMs - t0} ms`, evidence };
    },
  },
  {
    id: "disc-05",
    title: "gossips PEER_LISTs of its own, unasked",
    area: "discovery",
    requirement: "GOSSIP-1",
    phase: "long",
    needsMs: (t) => 4 * t.gossipMs + replyMs(t),
    async run(s) {
      const waitMs = 4 * s.timing.gossipMs + replyMs(s.timing);
      const hit = await s.observer.waitFor(
        (x) => x.rec.dir === "in" && x.parsed.ok && x.parsed.message.sender === s.target && x.rec.type === "PEER_LIST" && !answersHello(s, x.rec.to, x.rec.atMs),
        Math.max(0, Math.min(s.startedMs + waitMs, s.deadlineMs) - Date.now()),
        s.signal,
      );
      const expected = `a PEER_LIST that answers no HELLO, within ${seconds(waitMs)} (gossip every ${seconds(s.timing.gossipMs)})`;
      if (!hit) return { verdict: "fail", expected, observed: "only PEER_LISTs that answered a HELLO" };
      return { verdict: "pass", expected, observed: `gossip to ${hit.rec.to}`, evidence: [hit.rec] };
    },
  },
  {
    id: "disc-06",
    title: "how many of the check's parties it gossips to, and how long its lists are (an observation)",
    area: "discovery",
    requirement: "GOSSIP-1",
    phase: "final",
    observation: true,
    needsMs: () => 0,
    async run(s) {
      const expected = `every ${seconds(s.timing.gossipMs)}, its PEER_LIST to 3 live peers it does not choke (of which only the check's parties are seen)`;
      const gossip = s.observer.received(s.target, (x) => x.message.type === "PEER_LIST" && !answersHello(s, x.rec.to, x.rec.atMs)) as Array<From<"PEER_LIST">>;
      if (gossip.length === 0) return nothingToObserve(expected, "no gossip seen", "the node sent no PEER_LIST that answers no HELLO, so there is nothing to observe (case disc-05)");
      const times = gossip.map(sentAtMs);
      const spanMs = Math.max(...times) - Math.min(...times);
      const intervals = Math.floor(spanMs / Math.max(1, s.timing.gossipMs)) + 1;
      const to = new Set(gossip.map((x) => x.rec.to));
      const entries = gossip.map((x) => x.message.peers.length).sort((a, b) => a - b);
      return info(
        expected,
        `${gossip.length} gossip PEER_LISTs to ${to.size} of the check's parties over ${seconds(spanMs)}: ${(gossip.length / intervals).toFixed(1)} a gossip interval; entries a list: median ${quantile(entries, 0.5)}, ${entries[0]} to ${entries[entries.length - 1]}`,
        gossip.slice(0, 6),
      );
    },
  },
]);

export type PeerList = MessageOf<"PEER_LIST">;
