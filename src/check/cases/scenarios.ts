import { LIMITS } from "../../core/config.ts";
import type { TimingMs } from "../../core/types.ts";
import type { Seen } from "../observer.ts";
import { probeReportEveryMs, type Probe } from "../probe.ts";
import type { CheckSession } from "../session.ts";
import { parseTimestampMs } from "../../protocol/index.ts";
import { budget, clockMarginMs, replyAt, replyMs } from "./util.ts";

/**
 * The long stories several cases judge: a free rider that is choked and then
 * contributes, an idler that never contributes (the optimistic unchoke), a
 * liar, and a peer that falls silent. Each runs once per check.
 */

/** The newcomer's grace and the contribution window, in rechoke intervals (docs/protocol.md, choking). */
export const GRACE_INTERVALS = LIMITS.graceIntervals;

/** Latest a free rider may be choked: grace, then a few rechokes of slack for a slow poll. */
export function chokeByMs(t: TimingMs): number {
  return (GRACE_INTERVALS + 3) * t.rechokeMs + replyMs(t);
}

/** Earliest a newcomer may be choked, with one interval of slack for clocks and polls. */
export function chokeNotBeforeMs(t: TimingMs): number {
  return (GRACE_INTERVALS - 1) * t.rechokeMs;
}

async function joinAs(s: CheckSession, name: string, reports: "none" | "liar"): Promise<{ probe: Probe; helloMs: number }> {
  const probe = await s.probe(name);
  probe.setReports(reports);
  const helloMs = Date.now();
  probe.send(s.target, "HELLO", { queue_url: probe.queueUrl });
  return { probe, helloMs };
}

/** Optimistic unchokes: a live, unflagged choked peer gets one sooner or later. */
export function optimisticWaitMs(t: TimingMs): number {
  return 4 * t.optimisticMs + 2 * t.rechokeMs + replyMs(t);
}

export interface RidersStory {
  helloMs: number;
  /** The free rider choked first, and its CHOKE. */
  choked: Probe | null;
  choke: Seen | null;
  /** The PING sent while choked and its PONG. */
  chokedPing: Seen | null;
  chokedPong: Seen | null;
  contributedMs: number | null;
  /** The UNCHOKE after it began to contribute. */
  unchoke: Seen | null;
  /** A CHOKE again while it kept contributing. */
  rechoked: Seen | null;
  /** The other free rider, which keeps contributing nothing. */
  spared: Probe | null;
  sparedChoke: Seen | null;
  /** An UNCHOKE to it after its CHOKE, while it still contributed nothing. */
  sparedUnchoke: Seen | null;
  /** How long the spared one was watched after the grace. */
  sparedWatchedMs: number;
}

const chokeOf = (x: Seen, ids: string[], s: CheckSession, type: "CHOKE" | "UNCHOKE", sinceMs: number) =>
  x.rec.dir === "in" && ids.includes(x.rec.observer) && x.rec.from === s.target && x.rec.type === type && x.rec.atMs >= sinceMs;

/**
 * Two free riders join together and contribute nothing. Past the newcomer's
 * grace the node chokes them, save the one it may unchoke optimistically.
 * The first choked then PINGs once (a choked peer still gets its PONG) and
 * starts to report honestly (it must be unchoked); the other never
 * contributes (it must get, or keep, the optimistic slot).
 */
export function freeRiders(s: CheckSession): Promise<RidersStory> {
  return s.scenario("riders", async () => {
    const t = s.timing;
    const a = await s.probe("rider");
    const b = await s.probe("idler");
    for (const p of [a, b]) p.setReports("none");
    const helloMs = Date.now();
    for (const p of [a, b]) p.send(s.target, "HELLO", { queue_url: p.queueUrl });
    const story: RidersStory = { helloMs, choked: null, choke: null, chokedPing: null, chokedPong: null, contributedMs: null, unchoke: null, rechoked: null, spared: null, sparedChoke: null, sparedUnchoke: null, sparedWatchedMs: 0 };
    const choke = await s.observer.waitFor((x) => chokeOf(x, [a.id, b.id], s, "CHOKE", helloMs), budget(s, chokeByMs(t)), s.signal);
    if (!choke) return story;
    const choked = choke.rec.observer === a.id ? a : b;
    const spared = choked === a ? b : a;
    Object.assign(story, { choked, choke, spared });

    const watchSpared = (async () => {
      const until = helloMs + chokeByMs(t) + 2 * t.rechokeMs;
      const sparedChoke = await s.observer.waitFor((x) => chokeOf(x, [spared.id], s, "CHOKE", helloMs), budget(s, until - Date.now()), s.signal);
      story.sparedChoke = sparedChoke;
      if (sparedChoke) {
        story.sparedUnchoke = await s.observer.waitFor((x) => chokeOf(x, [spared.id], s, "UNCHOKE", sparedChoke.rec.atMs), budget(s, optimisticWaitMs(t)), s.signal);
      }
      story.sparedWatchedMs = Date.now() - (sparedChoke?.rec.atMs ?? helloMs);
    })();

    const ping = choked.send(s.target, "PING", { seq: 4242 });
    story.chokedPing = s.observer.all().findLast((x) => x.rec.dir === "out" && x.rec.msgId === ping.msg_id) ?? null;
    story.chokedPong = await replyAt(s, choked, "PONG", replyMs(t), (m) => m.seq === 4242);
    story.contributedMs = Date.now();
    choked.setReports("honest");
    story.unchoke = await s.observer.waitFor((x) => chokeOf(x, [choked.id], s, "UNCHOKE", choke.rec.atMs), budget(s, 3 * t.rechokeMs + probeReportEveryMs(t) + replyMs(t)), s.signal);
    if (story.unchoke) {
      const after = story.unchoke.rec.atMs;
      story.rechoked = await s.observer.waitFor((x) => chokeOf(x, [choked.id], s, "CHOKE", after + 1), budget(s, 3 * t.rechokeMs + replyMs(t)), s.signal);
    }
    await watchSpared;
    return story;
  });
}

/** Reports needed before a flag, and what the liar needs to reach them. */
export function liarBudgetMs(t: TimingMs, contentItems: number): number {
  const epochsForReports = Math.ceil(8 / Math.max(1, contentItems));
  // The first whole epoch after it joined, the epochs that give 8 audited reports, the audit after each, then the rechoke.
  return Math.max(GRACE_INTERVALS * t.rechokeMs, (epochsForReports + 3) * t.epochMs + t.auditMs + t.viewsMs) + 3 * t.rechokeMs + replyMs(t);
}

export interface LiarStory {
  probe: Probe;
  helloMs: number;
  choke: Seen | null;
}

/** Reports wrong half the time: flagged, it is choked for good. */
export function liar(s: CheckSession): Promise<LiarStory> {
  return s.scenario("liar", async () => {
    const { probe, helloMs } = await joinAs(s, "liar", "liar");
    const choke = await replyAt(s, probe, "CHOKE", liarBudgetMs(s.timing, s.content.length));
    return { probe, helloMs, choke };
  });
}

export interface SilentStory {
  probe: Probe;
  asker: Probe;
  /** The PEER_LIST answering a HELLO while the probe was alive. */
  listedWhileAlive: Seen | null;
  mutedMs: number | null;
  /** The PEER_LIST answering a HELLO after the dead threshold. */
  listedAfterDead: Seen | null;
  /** PINGs the muted probe got in the watch window, and the window. */
  pingsWhileDead: Seen[];
  watchFromMs: number;
  watchMs: number;
  pingsWhileAlive: Seen[];
  aliveWatchMs: number;
}

/** Dead after 6 silent heartbeats; slack for the heartbeat grid and a poll. */
export function deadByMs(t: TimingMs): number {
  return (LIMITS.deadAfterBeats + 2) * t.heartbeatMs + 1_000;
}

/** Heartbeats watched once the probe is dead: a dead peer is pinged every 6th. */
export const DEAD_WATCH_BEATS = 7;

export function silentBudgetMs(t: TimingMs): number {
  return 3 * t.heartbeatMs + replyMs(t) + deadByMs(t) + DEAD_WATCH_BEATS * t.heartbeatMs + 2 * replyMs(t);
}

/** Alive (answers PINGs, reports honestly) for 3 heartbeats, then silent. */
export function silentPeer(s: CheckSession): Promise<SilentStory> {
  return s.scenario("silent", async () => {
    const t = s.timing;
    const probe = await s.probe("silent");
    // The HELLO case's probe asks: every probe is one more peer of the node, and past 12 it runs as a large network would.
    const asker = await s.probe("hello");
    probe.send(s.target, "HELLO", { queue_url: probe.queueUrl });
    await replyAt(s, probe, "PEER_LIST", replyMs(t));
    const aliveFrom = Date.now();
    await s.observer.waitFor(() => false, budget(s, 3 * t.heartbeatMs), s.signal);
    const aliveWatchMs = Date.now() - aliveFrom;
    const pingsWhileAlive = s.observer.received(s.target, (x) => x.rec.observer === probe.id && x.message.type === "PING" && x.rec.atMs >= aliveFrom);
    const listed = (x: Seen) => x.parsed.ok && x.parsed.message.type === "PEER_LIST" && x.parsed.message.peers.some((e) => e.node_id === probe.id);
    const firstAsked = Date.now();
    asker.send(s.target, "HELLO", { queue_url: asker.queueUrl });
    const firstAnswer = await replyAt(s, asker, "PEER_LIST", replyMs(t), () => true, firstAsked);
    const story: SilentStory = {
      probe,
      asker,
      listedWhileAlive: firstAnswer && listed(firstAnswer) ? firstAnswer : null,
      mutedMs: null,
      listedAfterDead: null,
      pingsWhileDead: [],
      watchFromMs: 0,
      watchMs: 0,
      pingsWhileAlive,
      aliveWatchMs,
    };
    if (!firstAnswer) return story;
    probe.mute();
    story.mutedMs = Date.now();
    await s.observer.waitFor(() => false, budget(s, deadByMs(t)), s.signal);
    if (Date.now() < story.mutedMs + deadByMs(t)) return story;
    const asked = Date.now();
    asker.send(s.target, "HELLO", { queue_url: asker.queueUrl });
    // Only a list the node made after the threshold, by its timestamp: gossip made earlier may arrive late.
    const madeFromMs = asked - clockMarginMs(t);
    story.listedAfterDead = await replyAt(s, asker, "PEER_LIST", replyMs(t), (m) => (parseTimestampMs(m.timestamp) ?? 0) >= madeFromMs, asked);
    story.watchFromMs = Date.now();
    await s.observer.waitFor(() => false, budget(s, DEAD_WATCH_BEATS * t.heartbeatMs), s.signal);
    story.watchMs = Date.now() - story.watchFromMs;
    story.pingsWhileDead = s.observer.received(s.target, (x) => x.rec.observer === probe.id && x.message.type === "PING" && x.rec.atMs >= story.watchFromMs);
    return story;
  });
}
