import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import type { NetworkId } from "../protocol/index.ts";
import type { SqsOptions } from "../sqs/client.ts";
import { FleetFile } from "./config.ts";
import { describeIssue, keyPath, loadFleetFile } from "./config-load.ts";

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
  const path = fleetFilePathFor(flags);
  if (path === null) return FleetFile.parse({ nodes: [{ id: "bot-alpha", persona: "bot-alpha" }] });
  const r = loadFleetFile(resolve(path));
  if (!r.ok) throw new UserError(r.message);
  return r.file;
}

/** The file fleetFileFor reads, or null for the defaults. */
function fleetFilePathFor(flags: ReachFlags): string | null {
  return flags.file ?? (existsSync(DEFAULT_FLEET_FILE) ? DEFAULT_FLEET_FILE : null);
}

/** One command-line value and the schema key it sets; `undefined` leaves the key as it is. */
export interface FlagValue {
  /** As typed, without the dashes: `sqs-port`. */
  flag: string;
  key: readonly string[];
  value: unknown;
}

/** Flags that set the top-level key of their own name (`--seconds` sets `seconds`, `stateDir` is `--state-dir`). */
export function sameNamedFlags(values: Record<string, unknown>): FlagValue[] {
  return Object.entries(values).map(([key, value]) => ({ flag: key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), key: [key], value }));
}

/**
 * The one way a command's flags reach its settings: each flag sets its key of
 * `base` (the fleet file, or nothing for a command whose schema holds every
 * default), and the result passes through the command's own zod schema, which
 * holds the defaults and bounds. A bad flag gets the same clear message a bad
 * key of the file does, one line naming the flag, and a UserError (exit 2).
 */
export function flagsThrough<S extends z.ZodType>(schema: S, base: object, flags: readonly FlagValue[]): z.output<S> {
  const given = flags.filter((f) => f.value !== undefined);
  const merged = structuredClone(base) as Record<string, unknown>;
  for (const f of given) {
    let at = merged;
    for (const k of f.key.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[f.key.at(-1)!] = f.value;
  }
  const r = schema.safeParse(merged, { reportInput: true });
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const f = given.find((g) => g.key.every((k, j) => i.path[j] === k));
    // No flag of its own: the flags and the file disagree (a rule over several keys).
    return f ? `--${f.flag}: ${describeIssue(i)}` : `${keyPath(i.path)} (after the flags): ${describeIssue(i)}`;
  });
  throw new UserError(lines.join("\n"));
}

export interface Reach {
  file: FleetFile;
  net: NetworkId;
  sqs: SqsOptions;
  controlPort: number;
  /** Where a person reads it: the embedded SQS's endpoint or "Amazon SQS". */
  where: string;
}

/** What a command dials: the embedded SQS (send, peek, queues, check), the control endpoint (status, check --all). */
export type Needed = "sqs" | "control";

/**
 * Port 0 is for `fleet up`, which binds a free port and announces it; only
 * that announcement knows the port, so a command meant to reach the running
 * fleet says where to read it instead of dialing port 0.
 */
function refusePortZero(flags: ReachFlags, file: FleetFile, aws: boolean, needs: readonly Needed[]): void {
  const said = (flag: number | undefined, flagName: string, key: string) =>
    flag !== undefined ? `${flagName} 0` : `${fleetFilePathFor(flags) ?? DEFAULT_FLEET_FILE}: ${key} is 0`;
  if (needs.includes("sqs") && !aws && file.network.port === 0) {
    throw new UserError(
      `${said(flags.sqsPort, "--sqs-port", "network.port")}, the free port \`fleet up\` picks for the embedded SQS; ` +
        `pass the one it printed at start ("sqs: http://127.0.0.1:N", or sqs_endpoint in its JSON logs) with --sqs-port N.`,
    );
  }
  if (needs.includes("control") && file.control.port === 0) {
    throw new UserError(
      `${said(flags.controlPort, "--control-port", "control.port")}, the free port \`fleet up\` picks for its control endpoint; ` +
        `pass the one it printed at start ("control: http://127.0.0.1:N/health", or control_port in its JSON logs) with --control-port N.`,
    );
  }
}

export function reachOf(flags: ReachFlags, needs: readonly Needed[]): Reach {
  const file = flagsThrough(FleetFile, fleetFileFor(flags), [
    { flag: "sqs-port", key: ["network", "port"], value: flags.sqsPort },
    { flag: "control-port", key: ["control", "port"], value: flags.controlPort },
  ]);
  const aws = flags.aws === true || file.network.sqs === "aws";
  refusePortZero(flags, file, aws, needs);
  const port = file.network.port;
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
    controlPort: file.control.port,
    where: aws ? `Amazon SQS (${net.region})` : `the embedded SQS at http://127.0.0.1:${port}`,
  };
}
