import pino from "pino";
import { z } from "zod";
import { FleetFile, timingMs } from "./config.ts";
import { formatIssues } from "./config-load.ts";
import { UserError } from "./cli-context.ts";
import { PERSONAS, type NodeConfig, type Persona } from "../core/types.ts";
import type { NetworkId } from "../protocol/index.ts";
import type { SqsOptions } from "../sqs/client.ts";
import { createNodeRunner } from "../runtime/node-runner.ts";

/**
 * `fleet node --persona P`: one built-in node as a process of its own, set up
 * from the environment a `command:` node gets (NODE_ID, AWS_ENDPOINT_URL_SQS,
 * BOOTSTRAP, P2P_*), run by the same runner the fleet's workers use. It is
 * how the built-in personas are graded by `fleet check --run`, and a
 * reference node beside a student's own.
 */

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

const seconds = (name: string) => z.string().regex(/^\d+(\.\d+)?$/, `${name}: seconds, such as 10 or 0.5`).transform(Number).optional();

/** How to start one by hand beside `fleet up` (an id of the roster has its queue already). */
const BY_HAND = "NODE_ID=hugo AWS_ENDPOINT_URL_SQS=http://127.0.0.1:4566 bun run fleet node --persona node";

/** The variables read; the fleet file's schema fills every default and checks every value. */
const NodeEnv = z.object({
  NODE_ID: z.string({ error: `NODE_ID is not set: it is the node's id. A command: node and fleet check --run set it; by hand, beside a fleet on this machine: ${BY_HAND}` }),
  // http(s) only: `localhost:4566` parses as a URL of scheme "localhost:", which would send the node to Amazon.
  AWS_ENDPOINT_URL_SQS: z.url({ protocol: /^https?$/, error: "AWS_ENDPOINT_URL_SQS: a URL such as http://127.0.0.1:4566" }).optional(),
  AWS_REGION: z.string().optional(),
  P2P_PREFIX: z.string().optional(),
  P2P_ACCOUNT: z.string().optional(),
  BOOTSTRAP: z.string().optional(),
  P2P_SEED: z.string().optional(),
  P2P_CONTENT: z.string().optional(),
  P2P_HEARTBEAT_S: seconds("P2P_HEARTBEAT_S"),
  P2P_GOSSIP_S: seconds("P2P_GOSSIP_S"),
  P2P_VIEWS_S: seconds("P2P_VIEWS_S"),
  P2P_AUDIT_S: seconds("P2P_AUDIT_S"),
  P2P_EPOCH_S: seconds("P2P_EPOCH_S"),
  P2P_RECHOKE_S: seconds("P2P_RECHOKE_S"),
  P2P_OPTIMISTIC_S: seconds("P2P_OPTIMISTIC_S"),
});

const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export interface StandaloneSetup {
  config: NodeConfig;
  sqs: SqsOptions;
}

/** The node's config from its environment; a bad variable is a UserError naming it. */
export function standaloneSetup(persona: Persona, env: Record<string, string | undefined>): StandaloneSetup {
  const e = NodeEnv.safeParse(env);
  if (!e.success) throw new UserError(`fleet node: ${e.error.issues.map((i) => i.message).join("; ")}`);
  const v = e.data;
  let content: unknown;
  if (v.P2P_CONTENT !== undefined) {
    try {
      content = JSON.parse(v.P2P_CONTENT);
    } catch {
      throw new UserError('fleet node: P2P_CONTENT: a JSON list such as [{"content_id":"show:x","ad_id":"ad-1"}]');
    }
  }
  const endpoint = v.AWS_ENDPOINT_URL_SQS === undefined ? null : new URL(v.AWS_ENDPOINT_URL_SQS);
  const local = endpoint !== null && LOOPBACK.has(endpoint.hostname);
  const port = endpoint && local ? Number(endpoint.port || (endpoint.protocol === "https:" ? 443 : 80)) : undefined;
  const parsed = FleetFile.safeParse({
    network: defined({
      sqs: local ? "local" : "aws",
      port,
      region: v.AWS_REGION,
      account: v.P2P_ACCOUNT,
      prefix: v.P2P_PREFIX,
      endpoint: endpoint && !local ? v.AWS_ENDPOINT_URL_SQS : undefined,
    }),
    ...defined({ seed: v.P2P_SEED, content }),
    timing: defined({
      heartbeat: v.P2P_HEARTBEAT_S,
      gossip: v.P2P_GOSSIP_S,
      views: v.P2P_VIEWS_S,
      audit: v.P2P_AUDIT_S,
      epoch: v.P2P_EPOCH_S,
      rechoke: v.P2P_RECHOKE_S,
      optimistic: v.P2P_OPTIMISTIC_S,
    }),
    ...(v.BOOTSTRAP ? { bootstrap: v.BOOTSTRAP.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
    nodes: [{ id: v.NODE_ID, persona }],
  });
  if (!parsed.success) throw new UserError(`fleet node: the environment does not describe a node:\n${formatIssues("the environment", parsed.error.issues)}`);
  const f = parsed.data;
  const net: NetworkId = { region: f.network.region, account: f.network.account, prefix: f.network.prefix, ...(port !== undefined ? { localPort: port } : {}) };
  const sqs: SqsOptions =
    port !== undefined
      ? { mode: "local", region: net.region, port, host: endpoint!.hostname.replace(/^\[|\]$/g, "") }
      : { mode: "aws", region: net.region, ...(f.network.endpoint ? { endpoint: f.network.endpoint } : {}) };
  return {
    config: { id: v.NODE_ID, persona, network: net, bootstrap: f.bootstrap, seed: f.seed, content: f.content, timing: timingMs(f.timing) },
    sqs,
  };
}

/** Runs until SIGTERM or SIGINT, then stops within its bound and exits 0. */
export async function runStandalone(persona: string, logLevel: string, env = process.env): Promise<void> {
  if (!(PERSONAS as readonly string[]).includes(persona)) throw new UserError(`--persona: one of ${PERSONAS.join(", ")}`);
  const { config, sqs } = standaloneSetup(persona as Persona, env);
  const logger = pino({ level: logLevel, base: undefined });
  const runner = createNodeRunner({ config, sqs, logger });
  await runner.start();
  await new Promise<void>((resolve) => {
    const stop = () => void runner.stop(3_000).then(resolve);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  process.exit(0);
}
