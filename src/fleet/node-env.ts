import type { ContentItem } from "../core/types.ts";
import { queueUrlOf, type NetworkId } from "../protocol/index.ts";
import type { FleetFile } from "./config.ts";

/** Credentials the embedded SQS accepts (it checks none); SDKs refuse to sign without some. */
export const LOCAL_DUMMY_CREDENTIALS = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

/** What every node of the network must agree on to vote alike (docs/protocol.md §7, §12). */
export interface NetworkSettings {
  seed: string;
  /** Seconds, as in fleet.yaml's `timing:`. */
  timing: FleetFile["timing"];
  content: readonly ContentItem[];
}

export interface CommandNodeEnvInput {
  nodeId: string;
  net: NetworkId;
  mode: "local" | "aws";
  /** The endpoint SDKs must use; null for Amazon's own. */
  endpoint: string | null;
  bootstrap: readonly string[];
  /** The network's seed, timing and catalog. */
  settings: NetworkSettings;
  /** The supervisor's environment, passed on (PATH, HOME, AWS profile...). */
  base: Record<string, string | undefined>;
  /** The node's own `env:` from fleet.yaml, applied last. */
  own?: Record<string, string>;
}

/** The P2P_ variables of docs/protocol.md §12: a node in any language reads the network's settings from them. */
export function networkSettingsEnv(s: NetworkSettings): Record<string, string> {
  const t = s.timing;
  return {
    P2P_SEED: s.seed,
    P2P_EPOCH_S: String(t.epoch),
    P2P_HEARTBEAT_S: String(t.heartbeat),
    P2P_GOSSIP_S: String(t.gossip),
    P2P_VIEWS_S: String(t.views),
    P2P_AUDIT_S: String(t.audit),
    P2P_RECHOKE_S: String(t.rechoke),
    P2P_OPTIMISTIC_S: String(t.optimistic),
    P2P_CONTENT: JSON.stringify(s.content.map((c) => ({ content_id: c.content_id, ad_id: c.ad_id }))),
  };
}

/**
 * What a `command:` node needs to join: the variables every AWS SDK reads
 * (boto3 honours AWS_ENDPOINT_URL_SQS), its id and its own queue URL in the
 * notebook's AWS form, and the network's settings. The supervisor's own
 * environment lies beneath them, the node's `env:` above. Pure, so it can be
 * tested and shown in the README.
 */
export function commandNodeEnv(i: CommandNodeEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.base)) if (v !== undefined) env[k] = v;
  if (i.endpoint !== null) env.AWS_ENDPOINT_URL_SQS = i.endpoint;
  if (i.mode === "local") Object.assign(env, LOCAL_DUMMY_CREDENTIALS);
  env.AWS_DEFAULT_REGION = i.net.region;
  env.AWS_REGION = i.net.region;
  env.NODE_ID = i.nodeId;
  env.QUEUE_URL = queueUrlOf(i.net, i.nodeId);
  env.P2P_PREFIX = i.net.prefix;
  env.P2P_ACCOUNT = i.net.account;
  env.BOOTSTRAP = i.bootstrap.join(",");
  Object.assign(env, networkSettingsEnv(i.settings));
  // Output of an interpreter reaches the log stream as it is printed, not at exit.
  env.PYTHONUNBUFFERED ??= "1";
  return { ...env, ...(i.own ?? {}) };
}
