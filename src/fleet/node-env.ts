import { queueUrlOf, type NetworkId } from "../protocol/index.ts";

/** Credentials the embedded SQS accepts (it checks none); SDKs refuse to sign without some. */
export const LOCAL_DUMMY_CREDENTIALS = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

export interface CommandNodeEnvInput {
  nodeId: string;
  net: NetworkId;
  mode: "local" | "aws";
  /** The endpoint SDKs must use; null for Amazon's own. */
  endpoint: string | null;
  bootstrap: readonly string[];
  /** The supervisor's environment, passed on (PATH, HOME, AWS profile...). */
  base: Record<string, string | undefined>;
  /** The node's own `env:` from fleet.yaml, applied last. */
  own?: Record<string, string>;
}

/**
 * What a `command:` node needs to join: the variables every AWS SDK reads
 * (boto3 honours AWS_ENDPOINT_URL_SQS), its id and its own queue URL in the
 * notebook's AWS form. Pure, so it can be tested and shown in the README.
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
  // Output of an interpreter reaches the log stream as it is printed, not at exit.
  env.PYTHONUNBUFFERED ??= "1";
  return { ...env, ...(i.own ?? {}) };
}
