import type { Ctx } from "./context.ts";
import { sampleInPlace } from "./gossip.ts";
import type { Peer } from "./peers.ts";

/**
 * Which peers a heartbeat PINGs (docs/protocol.md, SCALE-2..4). While the
 * peers due a PING (the live ones, and the dead ones on their 6th beat) fit
 * in `probes_per_beat`, all of them: a small network as before. Past that,
 * a bounded number: first suspects and rumoured peers (at most
 * `urgent_per_beat`), then the next ones of a round-robin over a shuffled
 * order of the whole table, reshuffled at each wrap, so that every peer is
 * probed once per round of at most ceil(peers / (probes - urgent)) beats
 * (so two probes of one peer are at most two rounds apart).
 */
export interface ProbeRound {
  order: string[];
  next: number;
  /** Rumoured peers to probe at the next heartbeat, oldest first (bounded by the rumour table). */
  urgent: Set<string>;
}

export function createProbeRound(): ProbeRound {
  return { order: [], next: 0, urgent: new Set() };
}

/** True when the heartbeat PINGs every due peer: the peers fit in the probe bound. */
export function probesAll(ctx: Ctx, due: number): boolean {
  return due <= ctx.scale.probes_per_beat;
}

/**
 * The peers to PING this heartbeat. `due` are the peers the small-network
 * rule would PING, in table order; when they fit in the bound they are the
 * answer, unchanged.
 */
export function chooseProbes(ctx: Ctx, due: Peer[]): Peer[] {
  ctx.probingAll = probesAll(ctx, due.length);
  if (ctx.probingAll) {
    ctx.probe.urgent.clear();
    return due;
  }
  const { probes_per_beat: max, urgent_per_beat } = ctx.scale;
  const urgentMax = Math.min(urgent_per_beat, max);
  const chosen: Peer[] = [];
  const taken = new Set<string>();
  const take = (p: Peer | undefined): void => {
    if (p === undefined || taken.has(p.id)) return;
    taken.add(p.id);
    chosen.push(p);
  };
  // Rumoured first (a suspicion to confirm or refute), then our own suspects.
  for (const id of ctx.probe.urgent) {
    if (chosen.length >= urgentMax) break;
    ctx.probe.urgent.delete(id);
    take(ctx.peers.get(id));
  }
  if (chosen.length < urgentMax) {
    for (const p of due) {
      if (chosen.length >= urgentMax) break;
      if (p.status === "suspect") take(p);
    }
  }
  // The round-robin: every peer in the table gets its turn, dead ones too
  // (a round is already longer than the 6 beats of the small rule).
  const r = ctx.probe;
  let steps = 0;
  const stepsMax = r.order.length + ctx.peers.size + 1;
  while (chosen.length < max && steps++ < stepsMax) {
    if (r.next >= r.order.length) {
      r.order = sampleInPlace(ctx.rng, [...ctx.peers.keys()], ctx.peers.size);
      r.next = 0;
      if (r.order.length === 0) break;
    }
    take(ctx.peers.get(r.order[r.next++]!));
  }
  return chosen;
}
