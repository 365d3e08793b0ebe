import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { NetworkId } from "../protocol/index.ts";
import type { SqsOptions } from "../sqs/client.ts";
import { FleetFile } from "./config.ts";
import { loadFleetFile } from "./config-load.ts";

/** A mistake of the user's: printed as one message, exit code `code`, never a stack trace. */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
  }
}

export const DEFAULT_FLEET_FILE = "fleet.yaml";

/** Flags shared by the commands that talk to a running fleet. */
export interface ReachFlags {
  file?: string;
  aws?: boolean;
  sqsPort?: number;
  controlPort?: number;
}

/**
 * The fleet file behind send, peek and status: the one named with --file,
 * else ./fleet.yaml when there is one, else the defaults (the file is optional
 * for these: they only need ports and names).
 */
export function fleetFileFor(flags: ReachFlags): FleetFile {
  const path = flags.file ?? (existsSync(DEFAULT_FLEET_FILE) ? DEFAULT_FLEET_FILE : null);
  if (path === null) return FleetFile.parse({ nodes: [{ id: "bot-alpha", persona: "bot-alpha" }] });
  const r = loadFleetFile(resolve(path));
  if (!r.ok) throw new UserError(r.message);
  return r.file;
}

export interface Reach {
  file: FleetFile;
  net: NetworkId;
  sqs: SqsOptions;
  controlPort: number;
  /** Where a person reads it: the embedded SQS's endpoint or "Amazon SQS". */
  where: string;
}

export function reachOf(flags: ReachFlags): Reach {
  const file = fleetFileFor(flags);
  const aws = flags.aws === true || file.network.sqs === "aws";
  const port = flags.sqsPort ?? file.network.port;
  const net: NetworkId = {
    region: file.network.region,
    account: file.network.account,
    prefix: file.network.prefix,
    ...(aws ? {} : { localPort: port }),
  };
  const sqs: SqsOptions = aws
    ? { mode: "aws", region: net.region, ...(file.network.endpoint ? { endpoint: file.network.endpoint } : {}) }
    : { mode: "local", region: net.region, port };
  return {
    file,
    net,
    sqs,
    controlPort: flags.controlPort ?? file.control.port,
    where: aws ? `Amazon SQS (${net.region})` : `the embedded SQS at http://127.0.0.1:${port}`,
  };
}
