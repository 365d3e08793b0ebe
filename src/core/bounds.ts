import { z } from "zod";

const Count = (max: number) => z.number().int().min(1).max(max);

/**
 * The bounds that keep a node's work per heartbeat constant as the network
 * grows (docs/protocol.md, "Large networks"). The one place that validates
 * them and fills their defaults; fleet.yaml's `scale:` key is this schema.
 *
 * While a node's peers fit in them, nothing changes: it pings every peer
 * and reports to every peer, as in a class of a dozen nodes. Past them, it
 * probes a few peers per heartbeat and reports to a few stable partners.
 */
export const ScaleBounds = z.strictObject({
  // Peers PINGed per heartbeat. 12: a class of a dozen nodes (11 peers each) is still pinged in full.
  probes_per_beat: Count(500).default(12),
  // Of those, how many go to suspects and rumoured peers before the round-robin: half, so the round goes on.
  urgent_per_beat: Count(500).default(6),
  // Peers a node sends views and audit results to, and chokes over. 12, for the same class.
  partners: Count(500).default(12),
  // Suspicions, deaths and refutations a node keeps to piggyback on its PEER_LISTs.
  rumours: Count(5_000).default(64),
  // PEER_LISTs each rumour rides on before it is spent: about 3 gossip rounds, which reach 1,000 nodes.
  rumour_sends: Count(100).default(9),
  // Rumour entries per PEER_LIST, of its 49 places; the rest stay a random sample of live peers.
  rumours_per_list: Count(49).default(16),
  // Heartbeats a rumour is remembered, spent or not, so that its echoes are not taken for news.
  rumour_keep_beats: Count(10_000).default(30),
});
export type ScaleBounds = z.output<typeof ScaleBounds>;
export type ScaleBoundsInput = z.input<typeof ScaleBounds>;

export const DEFAULT_SCALE_BOUNDS: ScaleBounds = ScaleBounds.parse({});
