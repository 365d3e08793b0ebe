import { z } from "zod";

const Probability = z.number().min(0).max(1);
const Ms = z.number().int().nonnegative();

/**
 * Every knob of a simulated run, with its default; the one place that
 * validates them. A run is a pure function of these options: the same
 * options (seed included) give the same trace hash.
 */
export const SimOptions = z
  .object({
    /** Nodes in the fleet, bootstrap and liars included. */
    // 10,000: the largest run stated (README); memory is what bounds it (1.5 MB a node after one virtual minute at 10,000, 4.4 MB after 30 at 1,000).
    nodes: z.number().int().min(2).max(10_000).default(50),
    /** Virtual minutes simulated. */
    minutes: z.number().positive().max(24 * 60).default(30),
    /** Every random choice of the run derives from this. */
    seed: z.union([z.string().min(1).max(200), z.number().int()]).transform(String).default("1"),
    /** bot-charlie-like reporters (accuracy 0.5). */
    liars: z.number().int().nonnegative().default(5),
    /** bot-alpha nodes, the bootstrap every other node says HELLO to. */
    bootstraps: z.number().int().min(1).default(1),
    /** Share of messages delivered twice (SQS is at-least-once). */
    dup: Probability.default(0.1),
    /** Share of messages held back by an extra delay, so later ones overtake them. */
    reorder: Probability.default(0.1),
    /** Share of messages lost outright (real SQS loses none; for stress only). */
    loss: Probability.default(0),
    /** Fixed part of every delivery delay: a send and a receive round trip to SQS. */
    delayMinMs: Ms.default(20),
    /** Mean of the exponential part on top of delayMinMs. */
    delayJitterMs: Ms.default(150),
    /** Cap of the exponential part, so one delay never exceeds a few seconds. */
    delayJitterMaxMs: Ms.default(3_000),
    /** A held-back message waits up to this much longer. */
    reorderMaxMs: Ms.default(5_000),
    /** A duplicate arrives up to this long after its original (an SQS redelivery). */
    dupLagMaxMs: Ms.default(30_000),
    /** Nodes crashed once each, then restarted; their queues keep their messages. */
    crash: z.number().int().nonnegative().default(0),
    /** Downtime of a crashed node, drawn uniformly between these. */
    crashDownMinMs: Ms.default(90_000),
    crashDownMaxMs: Ms.default(180_000),
    /** What a restarted node remembers: nothing (a fresh process) or all it knew (state persisted to disk). */
    restart: z.enum(["fresh", "persisted"]).default("fresh"),
    /** Nodes silenced once each for a while: everything they send is lost, they still receive. */
    silence: z.number().int().nonnegative().default(0),
    silenceForMs: Ms.default(90_000),
    /** A partition between two halves of the fleet, healed after partitionForMs. */
    partition: z.boolean().default(false),
    partitionForMs: Ms.default(120_000),
    /** Each node's clock is off by up to this much, either way. */
    skewMaxMs: Ms.default(1_000),
    /** The bootstrap bots start this much later than the rest: nodes must find the network when they come up. */
    bootstrapLateMs: Ms.default(0),
    /** Nodes start spread over this window. */
    startSpreadMs: Ms.default(5_000),
    /**
     * How a message reaches a core: "json" encodes and re-parses every body
     * (the real path), "object" hands over the parsed message (same trace,
     * faster for large fleets). "auto" picks json up to 16 nodes.
     */
    wire: z.enum(["json", "object", "auto"]).default("auto"),
    /** A liar must be flagged by every honest node within this much virtual time (plus any partition). */
    flagWithinMs: Ms.default(5 * 60_000),
    /** Minimum share of honest nodes' audits whose agreed count is the truth. */
    auditShareMin: Probability.default(0.95),
    /** How often the checkers look at convergence, ms of virtual time. */
    probeMs: z.number().int().positive().default(1_000),
    /** Keep every audit outcome per (node, content, epoch) in the report (for comparisons between runs). */
    keepAudits: z.boolean().default(false),
    /** Print the table as one JSON object instead. */
    json: z.boolean().default(false),
  })
  .refine((o) => o.bootstraps + o.liars <= o.nodes, { message: "bootstraps + liars must not exceed nodes", path: ["liars"] })
  .refine((o) => o.crash + o.silence === 0 || o.crash + o.silence <= o.nodes - o.bootstraps - o.liars, {
    message: "crash + silence must not exceed the honest nodes that are not bootstrap",
    path: ["crash"],
  })
  .refine((o) => o.crashDownMinMs <= o.crashDownMaxMs, { message: "crashDownMinMs exceeds crashDownMaxMs", path: ["crashDownMinMs"] });

export type SimOptionsInput = z.input<typeof SimOptions>;
export type SimOptions = z.output<typeof SimOptions>;

/** The longest a message can travel before it arrives, duplicates and held-back messages included. */
export function maxInFlightMs(o: SimOptions): number {
  return o.delayMinMs + o.delayJitterMaxMs + o.reorderMaxMs + o.dupLagMaxMs;
}
