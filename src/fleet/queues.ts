import { isNodeId, nodeIdOfQueueUrl, queueName, queueUrlOf, type NetworkId } from "../protocol/index.ts";
import { closeSqsClient, createSqsClient, type SqsClient } from "../sqs/client.ts";
import { classifySqsError, describeSqsError } from "../sqs/errors.ts";
import { listQueues, purgeQueue, queueDepth, type QueueDepth } from "../sqs/queues.ts";
import { reachOf, UserError, type Reach, type ReachFlags } from "./cli-context.ts";
import type { FleetFile } from "./config.ts";
import { hintOf } from "./send.ts";

export interface QueuesFlags extends ReachFlags {
  json?: boolean;
  /** A node id whose queue is emptied. */
  purge?: string;
  /** The purge is meant: without it nothing is deleted. */
  yes?: boolean;
}

/** What the fleet file says a queue is for. */
export type QueueRole = "node" | "roster" | "other";

export interface QueueRow {
  id: string;
  name: string;
  role: QueueRole;
  /** The persona (or `command`) of a node of the file; null for the others. */
  persona: string | null;
  exists: boolean;
  /** Approximate, as SQS counts them; null when the queue is missing. */
  visible: number | null;
  inFlight: number | null;
}

/** Depth requests in flight at once: a class's network answers in one round trip or two. */
const DEPTH_CONCURRENCY = 10;

/**
 * Every queue of the network: the fleet file's nodes, then its roster (each
 * whether its queue exists or not), then any other `{prefix}-node-*-p2p`
 * queue found, by name. Pure: `existing` is what a listing found.
 */
export function networkQueues(file: FleetFile, existing: readonly string[]): Omit<QueueRow, "visible" | "inFlight">[] {
  const prefix = file.network.prefix;
  const found = new Set(existing);
  const rows: Omit<QueueRow, "visible" | "inFlight">[] = [];
  const seen = new Set<string>();
  const add = (id: string, role: QueueRole, persona: string | null) => {
    if (seen.has(id)) return;
    seen.add(id);
    const name = queueName(prefix, id);
    rows.push({ id, name, role, persona, exists: found.has(name) });
  };
  for (const n of file.nodes) add(n.id, "node", n.persona ?? "command");
  for (const id of file.roster) add(id, "roster", null);
  const others = existing
    .map((name) => nodeIdOfQueueUrl(prefix, name))
    .filter((id): id is string => id !== null)
    .sort();
  for (const id of others) add(id, "other", null);
  return rows;
}

/** The table `fleet queues` prints. */
export function formatQueues(rows: readonly QueueRow[], where: string): string {
  const header = ["QUEUE", "NODE", "ROLE", "WAITING", "IN FLIGHT"];
  const cells = rows.map((r) => [
    r.name,
    r.id,
    r.role === "node" ? `node (${r.persona})` : r.role,
    r.exists ? String(r.visible ?? "?") : "missing",
    r.exists ? String(r.inFlight ?? "?") : "",
  ]);
  const all = [header, ...cells];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const lines = all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  const missing = rows.filter((r) => !r.exists).length;
  const title = `${rows.length - missing} queue(s) of the network on ${where}${missing > 0 ? `, ${missing} missing` : ""}`;
  return [title, ...lines].join("\n");
}

/**
 * `fleet queues`: every queue of the network with its approximate depth, or,
 * with `--purge ID --yes`, one queue emptied.
 */
export async function runQueues(flags: QueuesFlags, out: (s: string) => void): Promise<void> {
  const reach = reachOf(flags, ["sqs"]);
  const client = createSqsClient(reach.sqs, { requestTimeoutMs: 10_000 });
  try {
    if (flags.purge !== undefined) return await purge(client, reach, flags.purge, flags.yes === true, out);
    const rows = await readRows(client, reach);
    out(flags.json ? JSON.stringify(rows, null, 2) + "\n" : formatQueues(rows, reach.where) + "\n");
  } finally {
    closeSqsClient(client);
  }
}

async function readRows(client: SqsClient, reach: Reach): Promise<QueueRow[]> {
  let listed: string[];
  try {
    listed = (await listQueues(client, `${reach.net.prefix}-node-`)).map((q) => q.name);
  } catch (err) {
    throw new UserError(`could not list the queues on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
  }
  const rows = networkQueues(reach.file, listed);
  const depths = await mapBounded(rows, DEPTH_CONCURRENCY, async (r) => {
    if (!r.exists) return null;
    try {
      return await depthOf(client, reach.net, r.id);
    } catch (err) {
      throw new UserError(`could not read the depth of ${r.name} on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
    }
  });
  return rows.map((r, i) => {
    const d = depths[i]!;
    // A queue listed a moment ago and gone now is missing, not an error.
    if (d === "missing") return { ...r, exists: false, visible: null, inFlight: null };
    return { ...r, visible: d?.visible ?? null, inFlight: d?.inFlight ?? null };
  });
}

/** The queue's depth, or "missing" when SQS says it does not exist; other failures are thrown as they are. */
async function depthOf(client: SqsClient, net: NetworkId, id: string): Promise<QueueDepth | "missing"> {
  try {
    return await queueDepth(client, queueUrlOf(net, id));
  } catch (err) {
    if (classifySqsError(err) === "queue_missing") return "missing";
    throw err;
  }
}

async function purge(client: SqsClient, reach: Reach, id: string, yes: boolean, out: (s: string) => void): Promise<void> {
  if (!isNodeId(id)) throw new UserError(`--purge ${JSON.stringify(id)}: a node id is 1-40 lowercase letters, digits or '-'`);
  const name = queueName(reach.net.prefix, id);
  let depth: QueueDepth | "missing";
  try {
    depth = await depthOf(client, reach.net, id);
  } catch (err) {
    throw new UserError(`could not read ${name} on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
  }
  if (depth === "missing") throw new UserError(`no queue ${name} on ${reach.where}; bun run fleet queues lists them`, 1);
  const holds = `${depth.visible} waiting, ${depth.inFlight} in flight`;
  if (!yes) {
    throw new UserError(`--purge ${id} deletes every message of ${name} on ${reach.where} (${holds}); add --yes to do it`);
  }
  try {
    await purgeQueue(client, queueUrlOf(reach.net, id));
  } catch (err) {
    throw new UserError(`could not purge ${name} on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
  }
  out(`purged ${name} on ${reach.where} (it held ${holds})\n`);
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
