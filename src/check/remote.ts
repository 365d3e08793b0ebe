import { timingMs } from "../fleet/config.ts";
import type { Reach } from "../fleet/cli-context.ts";
import type { Health } from "../fleet/health-types.ts";
import { closeSqsClient, createSqsClient } from "../sqs/client.ts";
import { nodeQueueExists } from "../sqs/queues.ts";
import { describeSqsError } from "../sqs/errors.ts";
import { queueName } from "../protocol/index.ts";
import { CheckCannotRun } from "./local.ts";
import { deletionLine, madeQueues } from "./made-queues.ts";
import { makeSession, PROBE_NAMES, probeSocketsMax, type OwnedSession } from "./make-session.ts";
import type { Observer } from "./observer.ts";
import type { StallMonitor } from "./stalls.ts";

/**
 * `fleet check ID...`: the cases against nodes already on a running fleet's
 * network, local or Amazon SQS. The checker adds only its probes, one set
 * per node checked (`chk<run><n>-<name>`), and deletes their queues at the
 * end, or when stopped by a signal: those it created, and no other.
 */

/**
 * Probe ids on a shared network are new for every check (`chk<run><n>-<name>`):
 * a network's nodes remember the probes of an earlier check, and a probe
 * they know already cannot show how they treat a newcomer.
 */
export const probePrefixOf = (run: string, i: number) => `chk${run}${i}`;
export const probeIds = (run: string, i: number) => PROBE_NAMES.map((n) => `${probePrefixOf(run, i)}-${n}`);
/** A probe of any check, by its id. */
export const PROBE_ID_RE = new RegExp(`^chk[0-9a-z]*-(${PROBE_NAMES.join("|")})$`);

/**
 * `--all`: every node the fleet's nodes know that is not one of them, and not
 * dead to every one of them: a node that left the class long ago would fail
 * every case, each only after its full wait. Those left out are named.
 */
export interface ClassOfNetwork {
  ids: string[];
  /** Known, but dead in the peer table of every fleet node that lists it. */
  dead: string[];
}

export function classIn(h: Pick<Health, "nodes">): ClassOfNetwork {
  const fleet = new Set(h.nodes.map((n) => n.id));
  const statuses = new Map<string, string[]>();
  for (const n of h.nodes) for (const p of n.peers) if (!fleet.has(p.id) && !PROBE_ID_RE.test(p.id)) statuses.set(p.id, [...(statuses.get(p.id) ?? []), p.status]);
  const ids = [...statuses.keys()].sort();
  const dead = ids.filter((id) => statuses.get(id)!.every((s) => s === "dead"));
  return { ids: ids.filter((id) => !dead.includes(id)), dead };
}

export async function classOf(controlPort: number): Promise<ClassOfNetwork> {
  let h: Health;
  try {
    const res = await fetch(`http://127.0.0.1:${controlPort}/health`, { signal: AbortSignal.timeout(5_000) });
    h = (await res.json()) as Health;
  } catch {
    throw new CheckCannotRun(`--all: no fleet answers on 127.0.0.1:${controlPort}; start one with \`bun run fleet up\`, or pass --control-port N`);
  }
  return classIn(h);
}

export interface RemoteNetwork {
  sessions: OwnedSession[];
  /** Stops the probes and deletes the queues the check created; a line naming any it could not delete, else null. */
  stop(): Promise<string | null>;
}

export async function startRemote(reach: Reach, ids: readonly string[], observer: Observer, stalls: StallMonitor, deadlineMs: number, createQueues: boolean): Promise<RemoteNetwork> {
  const f = reach.file;
  const aws = reach.sqs.mode === "aws";
  const client = createSqsClient(reach.sqs, { requestTimeoutMs: 30_000, socketsMax: probeSocketsMax(ids.length) });
  const fail = async (msg: string): Promise<never> => {
    closeSqsClient(client);
    throw new CheckCannotRun(msg);
  };
  try {
    for (const id of ids) if (!(await nodeQueueExists(client, reach.net, id))) await fail(`no node ${id} on ${reach.where}: its queue ${queueName(reach.net.prefix, id)} does not exist`);
  } catch (err) {
    if (err instanceof CheckCannotRun) throw err;
    await fail(`cannot reach ${reach.where}: ${describeSqsError(err)}`);
  }
  // The last 4 base-36 digits of the time: the same again only every 36^4 ms (28 minutes), and a name
  // that exists when the check starts is refused rather than used (made-queues.ts).
  const run = Date.now().toString(36).slice(-4);
  const needed = ids.flatMap((_, i) => probeIds(run, i));
  if (aws && !createQueues) {
    const exists = await Promise.all(needed.map((id) => nodeQueueExists(client, reach.net, id)));
    const missing = needed.filter((_, k) => !exists[k]).map((id) => queueName(reach.net.prefix, id));
    // Probe ids are fresh for every check (a node remembers the peers it met, and a probe it knew from an
    // earlier check would be graded on that history), so these names cannot be provisioned ahead of time.
    if (missing.length > 0) await fail(`on Amazon SQS the check needs queues for its probes, named afresh for every check; run with --create-queues (it deletes them at the end). This check would use:\n  ${missing.join("\n  ")}`);
  }
  // Only the probes' queues: the nodes checked have theirs already (looked up above), and the roster's
  // belong to whoever provisioned the network. Side by side: on an endpoint that answers in seconds
  // (moto on a loaded machine), one after the other took a second per probe.
  const made = madeQueues(client, reach.sqs, reach.net);
  try {
    await made.create(needed);
  } catch (err) {
    const outcome = await made.deleteAll();
    const left = deletionLine(outcome);
    const also = outcome.left.length > 0 && left !== null ? `\n${left}` : "";
    closeSqsClient(client);
    if (err instanceof CheckCannotRun) throw new CheckCannotRun(err.message + also);
    if (err instanceof Error && /^Sqs\w*Error$/.test(err.name)) {
      err.message += also;
      throw err;
    }
    throw new CheckCannotRun(`cannot create the probes' queues on ${reach.where}: ${describeSqsError(err)}${also}`);
  }
  const sessions = ids.map((id, i) =>
    makeSession({
      target: id,
      mode: "network",
      net: reach.net,
      sqs: reach.sqs,
      client,
      timing: timingMs(f.timing),
      seed: f.seed,
      content: f.content,
      observer,
      deadlineMs,
      probePrefix: probePrefixOf(run, i),
      stalls,
      ours: [],
    }),
  );
  // A stop by signal deletes the queues from outside the check's own flow: the cases end first.
  made.onDelete(() => {
    for (const s of sessions) void s.close().catch(() => {});
  });
  return {
    sessions,
    async stop() {
      await Promise.all(sessions.map((s) => s.close()));
      const outcome = await made.deleteAll();
      closeSqsClient(client);
      return outcome.left.length > 0 ? deletionLine(outcome) : null;
    },
  };
}
