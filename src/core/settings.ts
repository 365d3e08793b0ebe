import { z } from "zod";
import { NodeId } from "../protocol/index.ts";
import type { ContentItem, TimingMs } from "./types.ts";

/**
 * The settings a node shares with its fleet, as zod schemas: the one place
 * their defaults live. fleet.yaml's schema composes these, and the core's
 * defaults (the simulator's, a test's) are these schemas parsed from nothing,
 * so the two cannot drift apart; the edge (src/sqs) takes its fallback port
 * and region from here too. Every default carries its reason beside it.
 */

/** Seconds, fractions allowed. Bounded so a typo (ms for s) cannot park a node for days. */
const Seconds = z.number().positive().max(3600);

export const TimingSeconds = z.strictObject({
  // docs/protocol.md §6 defaults; each may be shortened for demos and tests.
  heartbeat: Seconds.default(10),
  gossip: Seconds.default(15),
  views: Seconds.default(10),
  audit: Seconds.default(30),
  epoch: Seconds.default(30),
  rechoke: Seconds.default(10),
  optimistic: Seconds.default(30),
});
export type TimingSeconds = z.infer<typeof TimingSeconds>;

/** Seconds of the file to the core's milliseconds. */
export function timingMs(t: TimingSeconds): TimingMs {
  const ms = (s: number) => Math.round(s * 1000);
  return {
    heartbeatMs: ms(t.heartbeat),
    gossipMs: ms(t.gossip),
    viewsMs: ms(t.views),
    auditMs: ms(t.audit),
    epochMs: ms(t.epoch),
    rechokeMs: ms(t.rechoke),
    optimisticMs: ms(t.optimistic),
  };
}

// fleet.yaml's ports and the flags that override them (--sqs-port, --control-port) pass through
// this one schema, so the wording serves both.
const PORT_WORDS = "a port, 0-65535 (0 picks a free one)";
export const Port = z.number({ error: PORT_WORDS }).int(PORT_WORDS).min(0).max(65535);

// The port LocalStack and the course's tools use, so notebook code finds it unchanged; 0 picks a free one.
export const SqsPort = Port.default(4566);

/** The names in every queue URL (docs/protocol.md §4); fleet.yaml's `network` adds how to reach SQS. */
export const NETWORK_NAMES_SHAPE = {
  // The notebook's region, account and prefix (docs/protocol.md §4): queue URLs stay the notebook's.
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1").default("us-east-1"),
  account: z
    .string({ error: 'a 12-digit AWS account id as a quoted string, such as "194722398367"' })
    .regex(/^\d{12}$/, 'a 12-digit AWS account id, such as "194722398367"')
    .default("194722398367"),
  prefix: z
    .string()
    .regex(/^[a-z0-9-]{1,20}$/, "1-20 lowercase letters, digits or '-'")
    .default("ds2032"),
};
export const NetworkNames = z.strictObject(NETWORK_NAMES_SHAPE);

export const ContentItemSchema = z.strictObject({
  content_id: z.string().min(1).max(128),
  ad_id: z.string().min(1).max(128),
});

// The course's catalog (same ids as the notebook's examples): without content the bots have nothing to audit.
export const Content = z
  .array(ContentItemSchema)
  .min(1, "at least one item: without content the nodes have no views to report and nothing to audit")
  .max(100)
  .default([
    { content_id: "show:midnight-run", ad_id: "ad-7" },
    { content_id: "show:dawn-patrol", ad_id: "ad-3" },
    { content_id: "movie:last-signal", ad_id: "ad-12" },
  ]);

// The course's seed, so the bots' counts match the notebook's examples (docs/protocol.md §7).
export const Seed = z.string().min(1).max(200).default("ds2032");

/** Bootstrap node ids, as a list in a file may give them. */
export const BOOTSTRAP_MAX = 20;
export const BootstrapIds = z.array(NodeId).min(1).max(BOOTSTRAP_MAX);
// The notebook's bootstrap bot (docs/protocol.md §6, JOIN-5): a node on its own says HELLO to it at start
// (a fleet's default is its bots: fleet/config.ts).
export const Bootstrap = BootstrapIds.default(["bot-alpha"]);

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


/** The defaults above, filled in once. */
export const DEFAULT_TIMING_MS: TimingMs = timingMs(TimingSeconds.parse({}));
export const DEFAULT_NETWORK = NetworkNames.parse({});
export const DEFAULT_SQS_PORT: number = SqsPort.parse(undefined);
export const DEFAULT_CONTENT: ContentItem[] = Content.parse(undefined);
export const DEFAULT_SCALE_BOUNDS: ScaleBounds = ScaleBounds.parse({});
export const DEFAULT_SEED: string = Seed.parse(undefined);
export const DEFAULT_BOOTSTRAP: string[] = Bootstrap.parse(undefined);
