import type { Health } from "./health-types.ts";
import { formatHealthTable } from "./health-table.ts";
import { formatNetworkTable } from "./network-table.ts";
import { reachOf, UserError, type ReachFlags } from "./cli-context.ts";

export interface StatusFlags extends ReachFlags {
  json?: boolean;
  /** The class's network instead of the fleet's nodes. */
  network?: boolean;
}

/** The health table of a running fleet, read from its control endpoint. */
export async function runStatus(flags: StatusFlags, out: (s: string) => void): Promise<void> {
  const port = reachOf(flags, ["control"]).controlPort;
  const url = `http://127.0.0.1:${port}/health`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch {
    throw new UserError(
      `No fleet is running with its control endpoint on 127.0.0.1:${port}. ` +
        `Start one with \`bun run fleet up\`, or pass --control-port N if it runs on another port.`,
      1,
    );
  }
  if (!res.ok) throw new UserError(`${url} answered ${res.status}; is that port a fleet's control endpoint?`, 1);
  let h: Health;
  try {
    h = (await res.json()) as Health;
    if (!Array.isArray(h.nodes)) throw new Error("no nodes");
  } catch {
    throw new UserError(`${url} did not answer with a fleet's health; is that port a fleet's control endpoint?`, 1);
  }
  // The control endpoint answers whichever SQS the fleet runs on: --aws asks for the fleet on Amazon SQS,
  // so a fleet on the embedded one at that port is not the fleet meant.
  const wantAws = flags.aws === true;
  if (wantAws && h.sqs?.mode !== "aws") {
    throw new UserError(
      `The fleet on 127.0.0.1:${port} runs on the embedded SQS, not on Amazon SQS (--aws). ` +
        `Drop --aws to see it, or pass the --control-port of the fleet started with \`bun run fleet up --aws\`.`,
      1,
    );
  }
  if (flags.network) {
    if (!Array.isArray(h.network)) throw new UserError(`${url} has no network view; that fleet runs an older version`, 1);
    out(flags.json ? JSON.stringify(h.network, null, 2) + "\n" : formatNetworkTable(h) + "\n");
    return;
  }
  out(flags.json ? JSON.stringify(h, null, 2) + "\n" : formatHealthTable(h) + "\n");
}
