import type { Seen } from "../observer.ts";
import { defineCases, type CheckSession } from "../session.ts";
import { answersHello, info, nothingToObserve, recs, replyMs, seconds, sentAtMs } from "./util.ts";
import { chokeByMs, chokeNotBeforeMs, freeRiders, GRACE_INTERVALS, liar, liarBudgetMs, optimisticWaitMs } from "./scenarios.ts";
import { probeReportEveryMs } from "../probe.ts";

/**
 * Reputation and choking, seen from outside: what the node tells probes
 * that lie, that contribute nothing, and that start to contribute.
 */

const riderBudget = (t: CheckSession["timing"]) => chokeByMs(t) + 2 * replyMs(t) + 6 * t.rechokeMs + probeReportEveryMs(t);


/** Every CHOKE and UNCHOKE the node sent the check's parties, in order. */
const chokeDecisions = (s: CheckSession): Seen[] => s.observer.received(s.target, (x) => x.message.type === "CHOKE" || x.message.type === "UNCHOKE");

/**
 * Of `decisions`, the UNCHOKEs after a CHOKE to a party that sent the node no
 * report in the contribution window: they can only be optimistic.
 */
function optimisticUnchokes(s: CheckSession, decisions: Seen[]): Seen[] {
  const windowMs = GRACE_INTERVALS * s.timing.rechokeMs;
  const contributed = (peer: string, atMs: number) =>
    s.observer.all().some((x) => x.rec.dir === "out" && x.rec.from === peer && x.rec.to === s.target && (x.rec.type === "VIEW_EVENT" || x.rec.type === "AUDIT_RESULT") && x.rec.atMs <= atMs && atMs - x.rec.atMs < windowMs);
  const last = new Map<string, string>();
  const optimistic: Seen[] = [];
  for (const x of decisions) {
    if (x.rec.type === "UNCHOKE" && last.get(x.rec.to) === "CHOKE" && !contributed(x.rec.to, x.rec.atMs)) optimistic.push(x);
    last.set(x.rec.to, x.rec.type);
  }
  return optimistic;
}

/** What the node sent a choked probe between `fromMs` and `untilMs` that it must withhold. */
function servedWhileChoked(s: CheckSession, probeId: string, fromMs: number, untilMs: number): Seen[] {
  return s.observer.received(
    s.target,
    (x) =>
      x.rec.observer === probeId &&
      x.rec.atMs > fromMs + replyMs(s.timing) &&
      x.rec.atMs < untilMs &&
      (x.message.type === "VIEW_EVENT" || x.message.type === "AUDIT_RESULT" || (x.message.type === "PEER_LIST" && !answersHello(s, probeId, x.rec.atMs))),
  );
}

/**
 * CHOKE-5: a peer that turned suspect and is heard again gets its choke state
 * resent. Seen from outside, a peer could have seemed silent when the
 * node's messages to it took over 2 heartbeats to arrive (the same queue
 * delivers the peer's own messages late), the peer sent nothing for 3, or
 * the checker itself (and so the probe) stalled for 2.
 */
function mayHaveSeemedSilent(s: CheckSession, peer: string, fromMs: number, untilMs: number): boolean {
  const hb = s.timing.heartbeatMs;
  // The checker's own pause silences its probes for as long.
  if (s.stalledMs(fromMs - 3 * hb, untilMs) >= 2 * hb) return true;
  const lagged = s.observer.received(s.target, (x) => x.rec.to === peer && x.rec.atMs >= fromMs && x.rec.atMs <= untilMs).some((x) => x.rec.atMs - sentAtMs(x) > 2 * hb);
  if (lagged) return true;
  const sends = s.observer.all().filter((x) => x.rec.dir === "out" && x.rec.from === peer && x.rec.to === s.target && x.rec.atMs >= fromMs - 3 * hb && x.rec.atMs <= untilMs).map((x) => x.rec.atMs);
  const times = [fromMs - 3 * hb, ...sends, untilMs];
  return times.some((t, i) => i > 0 && t - times[i - 1]! >= 3 * hb);
}

export const reputationChokingCases = defineCases([
  {
    id: "rep-01",
    title: "a peer that reports wrong half the time ends up choked",
    area: "reputation-choking",
    requirement: "REP-4",
    phase: "long",
    needsMs: (t) => liarBudgetMs(t, 3),
    async run(s) {
      const story = await liar(s);
      const budgetMs = liarBudgetMs(s.timing, s.content.length);
      const expected = `a CHOKE to the liar within ${seconds(budgetMs)} (flagged after 8 audited reports below 0.7)`;
      if (!story.choke) return { verdict: Date.now() >= s.deadlineMs ? "skip" : "fail", expected, observed: "the liar was never choked", ...(Date.now() >= s.deadlineMs ? { reason: "the time limit ran out first (--time-limit)" } : {}), evidence: recs(s.observer.received(s.target, (x) => x.rec.observer === story.probe.id).slice(0, 6)) };
      return { verdict: "pass", expected, observed: `choked ${seconds(story.choke.rec.atMs - story.helloMs)} after its HELLO`, evidence: [story.choke.rec] };
    },
  },
  {
    id: "rep-02",
    title: "a peer that never contributes is choked after the newcomer's grace",
    area: "reputation-choking",
    requirement: "RECHOKE-2",
    phase: "long",
    needsMs: chokeByMs,
    async run(s) {
      const story = await freeRiders(s);
      const lo = chokeNotBeforeMs(s.timing);
      const hi = chokeByMs(s.timing);
      const expected = `a CHOKE between ${seconds(lo)} and ${seconds(hi)} after its HELLO (grace: 6 rechoke intervals of ${seconds(s.timing.rechokeMs)})`;
      if (!story.choke) return { verdict: "fail", expected, observed: "never choked" };
      const after = sentAtMs(story.choke) - story.helloMs;
      return { verdict: after >= lo ? "pass" : "fail", expected, observed: `${story.choked!.id} choked ${seconds(after)} after its HELLO${after < lo ? ", within its grace" : ""}`, evidence: [story.choke.rec] };
    },
  },
  {
    id: "rep-03",
    title: "a choked peer that starts to contribute is unchoked",
    area: "reputation-choking",
    requirement: "RECHOKE-2",
    phase: "long",
    needsMs: riderBudget,
    async run(s) {
      const story = await freeRiders(s);
      if (!story.choke || story.contributedMs === null) return { verdict: "skip", expected: "an UNCHOKE once it contributes", observed: "it was never choked", reason: "no CHOKE came (case rep-02)" };
      const waitMs = 3 * s.timing.rechokeMs + probeReportEveryMs(s.timing) + replyMs(s.timing);
      const expected = `an UNCHOKE within ${seconds(waitMs)} of its first report, and no CHOKE while it keeps reporting`;
      if (!story.unchoke) return { verdict: Date.now() >= s.deadlineMs ? "skip" : "fail", expected, observed: "no UNCHOKE", evidence: recs([story.choke]) };
      if (story.rechoked) return { verdict: "fail", expected, observed: `choked again ${seconds(story.rechoked.rec.atMs - story.unchoke.rec.atMs)} after the UNCHOKE`, evidence: recs([story.choke, story.unchoke, story.rechoked]) };
      return { verdict: "pass", expected, observed: `unchoked ${seconds(story.unchoke.rec.atMs - story.contributedMs)} after its first report`, evidence: recs([story.choke, story.unchoke]) };
    },
  },
  {
    id: "rep-04",
    title: "a choked peer gets no VIEW_EVENT, AUDIT_RESULT or gossip",
    area: "reputation-choking",
    requirement: "RECHOKE-5",
    phase: "long",
    needsMs: riderBudget,
    async run(s) {
      const [rider, lying] = await Promise.all([freeRiders(s), liar(s)]);
      const spans: Array<{ id: string; from: number; until: number }> = [];
      if (rider.choke && rider.choked) spans.push({ id: rider.choked.id, from: rider.choke.rec.atMs, until: rider.unchoke?.rec.atMs ?? Date.now() });
      if (rider.sparedChoke && rider.spared) spans.push({ id: rider.spared.id, from: rider.sparedChoke.rec.atMs, until: rider.sparedUnchoke?.rec.atMs ?? Date.now() });
      if (lying.choke) spans.push({ id: lying.probe.id, from: lying.choke.rec.atMs, until: Date.now() });
      if (spans.length === 0) return { verdict: "skip", expected: "nothing but liveness and answers to a choked peer", observed: "no peer was choked", reason: "no CHOKE came (cases rep-01, rep-02)" };
      const served = spans.flatMap((sp) => servedWhileChoked(s, sp.id, sp.from, sp.until));
      return {
        verdict: served.length === 0 ? "pass" : "fail",
        expected: "while choked: PINGs, PONGs and PEER_LISTs answering a HELLO only",
        observed: served.length === 0 ? `${spans.map((sp) => `${sp.id} choked ${seconds(sp.until - sp.from)}`).join(", ")}: nothing withheld was sent` : `${served.length} messages: ${served.slice(0, 4).map((x) => `${x.rec.type} to ${x.rec.to}`).join(", ")}`,
        evidence: served.slice(0, 8).map((x) => x.rec),
      };
    },
  },
  {
    id: "rep-05",
    title: "CHOKE and UNCHOKE are sent only when the decision changes",
    area: "reputation-choking",
    requirement: "CHOKE-4",
    phase: "final",
    // Chokes come only after a newcomer's grace of 6 rechokes, which --quick never waits for.
    judgesLong: true,
    needsMs: () => 0,
    async run(s) {
      const byReceiver = new Map<string, Seen[]>();
      for (const x of s.observer.received(s.target, (x) => x.message.type === "CHOKE" || x.message.type === "UNCHOKE")) {
        const list = byReceiver.get(x.rec.to) ?? [];
        list.push(x);
        byReceiver.set(x.rec.to, list);
      }
      const total = [...byReceiver.values()].reduce((n, l) => n + l.length, 0);
      if (total === 0) return { verdict: "skip", expected: "CHOKE/UNCHOKE to judge", observed: "none sent", reason: "the node sent no CHOKE or UNCHOKE to any party of the check" };
      const repeats: Seen[] = [];
      let excused = 0;
      for (const list of byReceiver.values()) {
        // A first UNCHOKE repeats the initial state, unchoked.
        list.forEach((x, i) => {
          const prevType = i === 0 ? "UNCHOKE" : list[i - 1]!.rec.type;
          if (x.rec.type !== prevType) return;
          if (i > 0 && mayHaveSeemedSilent(s, x.rec.to, list[i - 1]!.rec.atMs, x.rec.atMs)) excused++;
          else repeats.push(x);
        });
      }
      return {
        verdict: repeats.length === 0 ? "pass" : "fail",
        expected: "CHOKE and UNCHOKE alternate for each peer, starting from unchoked",
        observed: repeats.length === 0 ? `${total} sent to ${byReceiver.size} peers, each a change${excused ? ` (${excused} repeated after the peer could have seemed silent: CHOKE-5)` : ""}` : `${repeats.length} repeats: ${repeats.slice(0, 4).map((x) => `${x.rec.type} to ${x.rec.to} at ${new Date(x.rec.atMs).toISOString().slice(11, 23)}`).join(", ")}`,
        evidence: repeats.slice(0, 8).map((x) => x.rec),
      };
    },
  },
  {
    id: "rep-06",
    title: "a choked peer that is live and not flagged is unchoked optimistically now and then",
    area: "reputation-choking",
    requirement: "RECHOKE-3",
    phase: "long",
    needsMs: (t) => chokeByMs(t) + optimisticWaitMs(t),
    async run(s) {
      const story = await freeRiders(s);
      const expected = `of two free riders past their grace, one unchoked though it contributes nothing: kept unchoked, or unchoked within ${seconds(optimisticWaitMs(s.timing))} of its CHOKE, or that while another choked party sending nothing is (optimistic every ${seconds(s.timing.optimisticMs)})`;
      if (!story.choke || !story.spared) return { verdict: "skip", expected, observed: "neither free rider was choked", reason: "no CHOKE came (case rep-02)" };
      if (!story.sparedChoke) return { verdict: "pass", expected, observed: `${story.spared.id} stayed unchoked ${seconds(story.sparedWatchedMs)} after its HELLO while ${story.choked!.id} was choked: it holds the optimistic slot`, evidence: recs([story.choke]) };
      if (story.sparedUnchoke) return { verdict: "pass", expected, observed: `${story.spared.id} unchoked ${seconds(sentAtMs(story.sparedUnchoke) - sentAtMs(story.sparedChoke))} after its CHOKE`, evidence: recs([story.sparedChoke, story.sparedUnchoke]) };
      // The pick is random among every peer the node chokes: where others of the check's parties (bots that
      // choke a flagged node, and so contribute nothing to it) took the slot while the free rider waited, the
      // node unchoked optimistically, and the free rider's wait says nothing against it.
      const fromMs = story.sparedChoke.rec.atMs;
      const others = optimisticUnchokes(s, chokeDecisions(s)).filter((x) => x.rec.atMs >= fromMs && x.rec.atMs <= fromMs + story.sparedWatchedMs);
      if (others.length > 0) {
        return { verdict: "pass", expected, observed: `${story.spared.id} stayed choked ${seconds(story.sparedWatchedMs)}; meanwhile the optimistic slot went to ${[...new Set(others.map((x) => x.rec.to))].join(", ")} (${others.length} UNCHOKEs of a choked party sending nothing): the pick is among every peer it chokes`, evidence: recs([story.sparedChoke, ...others.slice(0, 4)]) };
      }
      return { verdict: Date.now() >= s.deadlineMs ? "skip" : "fail", expected, observed: `both choked; ${story.spared.id} got no UNCHOKE in ${seconds(story.sparedWatchedMs)}`, ...(Date.now() >= s.deadlineMs ? { reason: "the time limit ran out first (--time-limit)" } : {}), evidence: recs([story.choke, story.sparedChoke]) };
    },
  },  {
    id: "rep-07",
    title: "how many optimistic unchokes it gave the check's parties (an observation)",
    area: "reputation-choking",
    requirement: "RECHOKE-3",
    phase: "final",
    // Chokes come only after a newcomer's grace of 6 rechokes, which --quick never waits for.
    judgesLong: true,
    observation: true,
    needsMs: () => 0,
    async run(s) {
      const windowMs = GRACE_INTERVALS * s.timing.rechokeMs;
      const expected = `every ${seconds(s.timing.optimisticMs)}, one live, unflagged peer it would choke unchoked all the same`;
      const decisions = chokeDecisions(s);
      if (decisions.length === 0) return nothingToObserve(expected, "no CHOKE or UNCHOKE seen", "the node choked none of the check's parties, so there is no unchoke to observe");
      const optimistic = optimisticUnchokes(s, decisions);
      const parties = new Set(decisions.map((x) => x.rec.to)).size;
      const chokes = decisions.filter((x) => x.rec.type === "CHOKE").length;
      const to = [...new Set(optimistic.map((x) => x.rec.to))];
      return info(
        expected,
        `${chokes} CHOKEs and ${decisions.length - chokes} UNCHOKEs to ${parties} of the check's parties; ${optimistic.length} UNCHOKEs of a choked party that had sent no report in ${seconds(windowMs)} (optimistic)${to.length ? `, to ${to.join(", ")}` : ""}`,
        optimistic.slice(0, 6),
      );
    },
  },
]);
