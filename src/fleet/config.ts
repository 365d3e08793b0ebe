import { z } from "zod";
import { NodeId } from "../protocol/index.ts";
import { BOOTSTRAP_MAX, BootstrapIds, Content, DEFAULT_BOOTSTRAP, NETWORK_NAMES_SHAPE, Port, ScaleBounds, Seed, SqsPort, TimingSeconds } from "../core/settings.ts";
import { PERSONAS } from "../core/types.ts";

/**
 * The schema of fleet.yaml: the one place that validates the file and fills
 * its defaults. Every default carries its reason beside it; the settings a
 * node shares with the core (timing, network names and the SQS port,
 * content, seed, bootstrap) are core/settings.ts's schemas, composed here.
 */

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LogLevel = z.enum(LOG_LEVELS);

/** The default of control.port, named for the help text and hints that mention it. */
export const CONTROL_PORT_DEFAULT = 4580;

const Network = z
  .strictObject({
    // local: nothing to set up, everything on this machine; aws is opt-in because it needs credentials.
    sqs: z.enum(["local", "aws"]).default("local"),
    port: SqsPort,
    ...NETWORK_NAMES_SHAPE,
    // Only for aws mode: another SQS-compatible endpoint (LocalStack, a proxy); unset means Amazon's own.
    endpoint: z.url({ error: "a URL such as http://127.0.0.1:4566" }).optional(),
    // Unset: created in local mode (an empty embedded SQS has none), left alone on AWS
    // (the course provisions them and student credentials may not create queues).
    create_queues: z.boolean().optional(),
  })
  .superRefine((n, ctx) => {
    if (n.endpoint !== undefined && n.sqs === "local") {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        message: "endpoint is for sqs: aws only (local mode serves its own SQS on network.port)",
      });
    }
  });

const Node = z
  .strictObject({
    id: NodeId,
    // Built-in node: runs in a worker thread of the supervisor.
    persona: z.enum(PERSONAS).optional(),
    // Any-language node: a child process started with the environment it needs to join.
    command: z.string().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    // Unset: the fleet's log_level.
    log_level: LogLevel.optional(),
  })
  .superRefine((n, ctx) => {
    if ((n.persona === undefined) === (n.command === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `a node needs exactly one of persona (${PERSONAS.join(", ")}) or command`,
      });
    }
    if (n.env !== undefined && n.command === undefined) {
      ctx.addIssue({ code: "custom", path: ["env"], message: "env is for command nodes only" });
    }
  });

/** The notebook's STUDENTS and INSTRUCTOR (its cell "P2P queue configuration"). */
export const DEFAULT_ROSTER = ["hugo", "sam", "phin", "manuel", "bruno", "gil"] as const;
/** A class, not a directory: the queues of the roster are created at every start. */
const ROSTER_MAX = 200;

/**
 * The default bootstrap: the fleet's bots, the bot-alpha persona first, then
 * the others in file order. With bot-alpha down a newcomer still finds the
 * network through bot-bravo or bot-charlie.
 */
export function defaultBootstrap(nodes: ReadonlyArray<{ id: string; persona?: string }>): string[] {
  const bots = nodes.filter((n) => n.persona?.startsWith("bot-"));
  const ordered = [...bots.filter((n) => n.persona === "bot-alpha"), ...bots.filter((n) => n.persona !== "bot-alpha")];
  return ordered.length === 0 ? [...DEFAULT_BOOTSTRAP] : ordered.slice(0, BOOTSTRAP_MAX).map((n) => n.id);
}

export const FleetFile = z
  .strictObject({
    network: Network.prefault({}),
    seed: Seed,
    content: Content,
    timing: TimingSeconds.prefault({}),
    // The bounds of a large network (docs/protocol.md, "Large networks"); a class of a dozen nodes never reaches them.
    scale: ScaleBounds.prefault({}),
    threads: z
      .strictObject({
        // Up to this many built-in nodes, each runs in a thread of its own: a crash takes nobody else down.
        pack_above: z.number().int().min(0).max(100).default(12),
        // Past it, the `node`s share threads this many at a time (the bots keep their own): a thread costs
        // tens of MB whatever it runs, a node a few, and every thread compiles and collects on its own. A
        // 100-node fleet on 2 cores converged in 14.7-26.9 s with 50 (two threads, 19 runs), 41.5-52.3 s
        // with 10 (ten threads, 4 runs).
        nodes_per_thread: z.number().int().min(1).max(100).default(50),
      })
      .prefault({}),
    control: z
      .strictObject({
        // Next to the SQS port and free on a usual machine; 0 picks a free one.
        port: Port.default(CONTROL_PORT_DEFAULT),
      })
      .prefault({}),
    health: z
      .strictObject({
        // Often enough to watch a demo, rare enough not to bury the logs; 0 turns it off.
        every: z.number().min(0).max(86400).default(30),
      })
      .prefault({}),
    state: z
      .strictObject({
        // Beside the fleet file (a relative path is taken from its folder) and gitignored.
        dir: z.string().min(1).max(1024).default(".fleet-state"),
        // Seconds between saves: a crash of the whole fleet forgets at most this much; 0 saves only at stop.
        every: z.number().min(0).max(86400).default(30),
      })
      .prefault({}),
    // info: state changes (peer joined, suspect, dead, flagged, choked) without the traffic.
    log_level: LogLevel.default("info"),
    // Unset: every bot of the fleet, bot-alpha first (docs/protocol.md §6, JOIN-5), so a new node joins
    // while any one of them runs; a fleet without bots asks the course's bot-alpha.
    // (Unset is parsed as [], which a list in the file cannot be, and filled in below.)
    bootstrap: BootstrapIds.default([]),
    // The notebook's students and instructor: their queues exist on the network whether or not their
    // nodes run, as the course provisions them on AWS, so the notebook's cells find them.
    roster: z.array(NodeId).max(ROSTER_MAX).default([...DEFAULT_ROSTER]),
    nodes: z.array(Node).min(1, "list at least one node").max(100),
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.nodes.forEach((n, i) => {
      const first = seen.get(n.id);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["nodes", i, "id"], message: `duplicate id ${n.id} (also nodes[${first}])` });
      } else seen.set(n.id, i);
    });
  })
  // overwrite, not transform: the schema stays an object, its `shape` readable by the tools.
  .overwrite((f) => (f.bootstrap.length > 0 ? f : { ...f, bootstrap: defaultBootstrap(f.nodes) }));

export type FleetFile = z.infer<typeof FleetFile>;

/** A mistake of a fleet file that only shows on the machine that runs it: where in the file, and what to do. */
export interface FleetFileIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * What `fleet up` refuses in the settings it is about to run (the file with
 * its flags applied), beyond the schema: the schema also describes fleets
 * that are not started from a file (a `fleet node` built from its
 * environment, the check's network), for which these do not hold.
 */
export function runnableIssues(f: FleetFile): FleetFileIssue[] {
  const issues: FleetFileIssue[] = [];
  if (f.network.sqs !== "local") return issues;
  // Both servers listen on 127.0.0.1: one port cannot be both, and the second to start would blame "another program".
  if (f.network.port !== 0 && f.network.port === f.control.port) {
    issues.push({
      path: ["control", "port"],
      message: `${f.control.port} is network.port too, the embedded SQS's, and one port cannot serve both; change one of them (--control-port N, --sqs-port N), or make it 0 for a free one`,
    });
  }
  // The embedded SQS starts empty at every `fleet up` and holds the queues of the file's nodes and roster only,
  // so a HELLO to any other id is dropped unread: a typo, never a network to join. The default for these
  // nodes is left alone (a fleet without bots asks the course's bot-alpha, on AWS).
  if (f.bootstrap.join() !== defaultBootstrap(f.nodes).join()) {
    const queues = new Set([...f.nodes.map((n) => n.id), ...f.roster]);
    f.bootstrap.forEach((id, i) => {
      if (queues.has(id)) return;
      issues.push({
        path: ["bootstrap", i],
        message:
          `${id} is neither a node of this file (${f.nodes.map((n) => n.id).join(", ")}) nor of roster:, so it has no queue on the embedded SQS; ` +
          `name one of those, or add ${id} to roster: if you run its node yourself`,
      });
    });
  }
  return issues;
}
export type FleetNode = FleetFile["nodes"][number];

export { timingMs } from "../core/settings.ts";

/**
 * Every queue the network has for this fleet: its nodes' and its roster's,
 * each once, nodes first.
 */
export function networkQueueIds(f: FleetFile): string[] {
  return [...new Set([...f.nodes.map((n) => n.id), ...f.roster])];
}

/** Queues are created in local mode, left alone on AWS unless the file says otherwise. */
export function createQueues(f: FleetFile): boolean {
  return f.network.create_queues ?? f.network.sqs === "local";
}
