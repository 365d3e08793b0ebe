import { LIMITS } from "../../core/config.ts";
import { defineCases } from "../session.ts";
import { recs, seconds } from "./util.ts";
import { DEAD_WATCH_BEATS, deadByMs, silentBudgetMs, silentPeer } from "./scenarios.ts";

/** Failure detection, seen from outside: a probe that falls silent. */
export const failureCases = defineCases([
  {
    id: "fail-01",
    title: "a peer silent past the dead threshold is no longer listed",
    area: "failure",
    requirement: "FAIL-4",
    phase: "long",
    needsMs: silentBudgetMs,
    async run(s) {
      const st = await silentPeer(s);
      const expected = `${st.probe.id} in a PEER_LIST while alive, and not in one ${seconds(deadByMs(s.timing))} after it fell silent (dead after ${LIMITS.deadAfterBeats} heartbeats)`;
      if (!st.listedWhileAlive) return { verdict: "skip", expected, observed: "the node did not list the probe while it was alive", reason: "the node's PEER_LIST never named the live probe, so its leaving the list says nothing" };
      if (st.mutedMs === null || !st.listedAfterDead) return { verdict: "skip", expected, observed: "no PEER_LIST after the dead threshold", reason: st.listedAfterDead === null && Date.now() >= s.deadlineMs ? "the time limit ran out first (--time-limit)" : "the node did not answer the second HELLO" };
      const m = st.listedAfterDead.parsed.ok && st.listedAfterDead.parsed.message.type === "PEER_LIST" ? st.listedAfterDead.parsed.message : null;
      const still = m?.peers.some((e) => e.node_id === st.probe.id) ?? false;
      return {
        verdict: still ? "fail" : "pass",
        expected,
        observed: still ? `still listed ${seconds(st.listedAfterDead.rec.atMs - st.mutedMs)} after it fell silent` : `left out ${seconds(st.listedAfterDead.rec.atMs - st.mutedMs)} after it fell silent`,
        evidence: recs([st.listedWhileAlive, st.listedAfterDead]),
      };
    },
  },
  {
    id: "fail-02",
    title: "a dead peer is pinged only every 6th heartbeat",
    area: "failure",
    requirement: "BEAT-2",
    phase: "long",
    needsMs: silentBudgetMs,
    async run(s) {
      const st = await silentPeer(s);
      const hb = s.timing.heartbeatMs;
      const allowed = Math.ceil(st.watchMs / (LIMITS.deadPingEveryBeats * hb)) + 1;
      const expected = `at most ${allowed} PINGs in ${seconds(st.watchMs || DEAD_WATCH_BEATS * hb)} once dead (every ${LIMITS.deadPingEveryBeats}th heartbeat of ${seconds(hb)})`;
      if (st.pingsWhileAlive.length === 0) return { verdict: "skip", expected, observed: "the node did not PING the probe while it was alive", reason: "no PINGs to compare with (case live-04)" };
      if (st.mutedMs === null || st.watchMs < DEAD_WATCH_BEATS * hb * 0.9) return { verdict: "skip", expected, observed: "the watch was cut short", reason: "the time limit ran out first (--time-limit)" };
      const n = st.pingsWhileDead.length;
      return {
        verdict: n <= allowed ? "pass" : "fail",
        expected,
        observed: `${n} PINGs while dead, against ${st.pingsWhileAlive.length} in ${seconds(st.aliveWatchMs)} while alive`,
        evidence: recs(st.pingsWhileDead.slice(0, 10)),
      };
    },
  },
]);
