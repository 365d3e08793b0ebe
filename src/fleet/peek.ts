import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { isNodeId, parse, queueName, queueUrlOf } from "../protocol/index.ts";
import { createSqsClient, resolveEndpoint } from "../sqs/client.ts";
import { describeSqsError } from "../sqs/errors.ts";
import { reachOf, UserError, type ReachFlags } from "./cli-context.ts";
import { hintOf } from "./send.ts";

/** Messages shown at most; the queue may hold many more. */
const PEEK_MESSAGES_MAX = 50;
/** Receive rounds on Amazon SQS, each up to 10 messages; sampling, as SQS gives no full listing. */
const PEEK_ROUNDS_MAX = 5;

export interface PeekedMessage {
  body: string;
  /** Where it stands: ready to be received, in flight (received, not yet deleted), delayed. */
  where: "ready" | "inflight" | "delayed" | "sampled";
}

export interface PeekFlags extends ReachFlags {
  node: string;
  json?: boolean;
}

/**
 * What waits in a node's queue, without taking it: the embedded SQS is
 * inspected through its read-only endpoint; on Amazon SQS messages are
 * received with VisibilityTimeout 0, so they stay visible to their node.
 */
export async function runPeek(flags: PeekFlags, out: (s: string) => void): Promise<void> {
  if (!isNodeId(flags.node)) throw new UserError(`<node> ${JSON.stringify(flags.node)}: a node id is 1-40 lowercase letters, digits or '-'`);
  const reach = reachOf(flags);
  const messages = reach.sqs.mode === "local" ? await peekLocal(resolveEndpoint(reach.sqs)!, queueName(reach.net.prefix, flags.node), reach.where) : await peekAws(reach, flags.node);
  if (flags.json) {
    for (const m of messages) out(JSON.stringify({ where: m.where, body: m.body }) + "\n");
    return;
  }
  out(`${queueName(reach.net.prefix, flags.node)} on ${reach.where}: ${messages.length} message(s)${messages.length >= PEEK_MESSAGES_MAX ? " (first shown)" : ""}\n`);
  for (const m of messages) out(describe(m) + "\n");
}

function describe(m: PeekedMessage): string {
  const r = parse(m.body);
  const body = m.body.length > 400 ? m.body.slice(0, 400) + "…" : m.body;
  if (!r.ok) return `  [${m.where}] not a protocol message (${r.reason}: ${r.detail}): ${body}`;
  return `  [${m.where}] ${r.message.type} from ${r.message.sender}: ${body}`;
}

interface InspectResponse {
  messages?: {
    ready?: Array<{ body?: string }>;
    delayed?: Array<{ body?: string }>;
    inflight?: Array<{ message?: { body?: string } }>;
  };
}

async function peekLocal(endpoint: string, name: string, where: string): Promise<PeekedMessage[]> {
  let res: Response;
  try {
    res = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(name)}`, { signal: AbortSignal.timeout(5_000) });
  } catch {
    throw new UserError(`nothing answers at ${where}: is the fleet up (bun run fleet up)? Another port: --sqs-port N; Amazon SQS: --aws.`, 1);
  }
  if (res.status === 404) throw new UserError(`no queue ${name} on ${where}`, 1);
  if (!res.ok) throw new UserError(`${where} answered ${res.status} to the queue inspection`, 1);
  const data = (await res.json()) as InspectResponse;
  const out: PeekedMessage[] = [];
  const add = (body: string | undefined, where: PeekedMessage["where"]) => {
    if (typeof body === "string" && out.length < PEEK_MESSAGES_MAX) out.push({ body, where });
  };
  for (const m of data.messages?.ready ?? []) add(m.body, "ready");
  for (const m of data.messages?.inflight ?? []) add(m.message?.body, "inflight");
  for (const m of data.messages?.delayed ?? []) add(m.body, "delayed");
  return out;
}

async function peekAws(reach: ReturnType<typeof reachOf>, node: string): Promise<PeekedMessage[]> {
  const client = createSqsClient(reach.sqs, { requestTimeoutMs: 10_000 });
  const seen = new Map<string, PeekedMessage>();
  try {
    for (let round = 0; round < PEEK_ROUNDS_MAX && seen.size < PEEK_MESSAGES_MAX; round++) {
      const r = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrlOf(reach.net, node),
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: round === 0 ? 1 : 0,
        }),
      );
      for (const m of r.Messages ?? []) if (m.MessageId && m.Body !== undefined) seen.set(m.MessageId, { body: m.Body, where: "sampled" });
      if ((r.Messages ?? []).length === 0) break;
    }
  } catch (err) {
    throw new UserError(`could not read ${node}'s queue on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
  } finally {
    client.destroy();
  }
  return [...seen.values()].slice(0, PEEK_MESSAGES_MAX);
}
