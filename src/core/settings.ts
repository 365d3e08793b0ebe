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
  // PROTOCOL.md §4 defaults; each may be shortened for demos and tests.
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

/** The names in every queue URL (PROTOCOL.md §1); fleet.yaml's `network` adds how to reach SQS. */
export const NETWORK_NAMES_SHAPE = {
  // The notebook's region, account and prefix (PROTOCOL.md §1): queue URLs stay the notebook's.
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
  .max(100)
  .default([
    { content_id: "show:midnight-run", ad_id: "ad-7" },
    { content_id: "show:dawn-patrol", ad_id: "ad-3" },
    { content_id: "movie:last-signal", ad_id: "ad-12" },
  ]);

// The course's seed, so the bots' counts match the notebook's examples (PROTOCOL.md §4.1).
export const Seed = z.string().min(1).max(200).default("ds2032");

/** Bootstrap node ids, as a list in a file may give them. */
export const BOOTSTRAP_MAX = 20;
export const BootstrapIds = z.array(NodeId).min(1).max(BOOTSTRAP_MAX);
// The notebook's bootstrap bot (PROTOCOL.md §5): a node on its own says HELLO to it at start
// (a fleet's default is its bots: fleet/config.ts).
export const Bootstrap = BootstrapIds.default(["bot-alpha"]);

/** The defaults above, filled in once. */
export const DEFAULT_TIMING_MS: TimingMs = timingMs(TimingSeconds.parse({}));
export const DEFAULT_NETWORK = NetworkNames.parse({});
export const DEFAULT_SQS_PORT: number = SqsPort.parse(undefined);
export const DEFAULT_CONTENT: ContentItem[] = Content.parse(undefined);
export const DEFAULT_SEED: string = Seed.parse(undefined);
export const DEFAULT_BOOTSTRAP: string[] = Bootstrap.parse(undefined);
