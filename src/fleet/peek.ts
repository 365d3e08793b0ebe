import { isNodeId, parse, queueName, queueUrlOf } from "../protocol/index.ts";
import { closeSqsClient, createSqsClient, resolveEndpoint } from "../sqs/client.ts";
import { inspectEmbeddedQueue, SqsInspectError } from "../sqs/embedded.ts";
import { peekMessages } from "../sqs/messages.ts";
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
  const reach = reachOf(flags, ["sqs"]);
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

async function peekLocal(endpoint: string, name: string, where: string): Promise<PeekedMessage[]> {
  let found;
  try {
    found = await inspectEmbeddedQueue(endpoint, name);
  } catch (err) {
    if (err instanceof SqsInspectError) throw new UserError(`${where} answered ${err.status} to the queue inspection`, 1);
    throw new UserError(`nothing answers at ${where}: is the fleet up (bun run fleet up)? Another port: --sqs-port N; Amazon SQS: --aws.`, 1);
  }
  if (found === null) throw new UserError(`no queue ${name} on ${where}`, 1);
  return found.slice(0, PEEK_MESSAGES_MAX);
}

async function peekAws(reach: ReturnType<typeof reachOf>, node: string): Promise<PeekedMessage[]> {
  const client = createSqsClient(reach.sqs, { requestTimeoutMs: 10_000 });
  try {
    const bodies = await peekMessages(client, queueUrlOf(reach.net, node), { messagesMax: PEEK_MESSAGES_MAX, roundsMax: PEEK_ROUNDS_MAX });
    return bodies.map((body) => ({ body, where: "sampled" }));
  } catch (err) {
    throw new UserError(`could not read ${node}'s queue on ${reach.where}: ${describeSqsError(err)}${hintOf(err, reach.where)}`, 1);
  } finally {
    closeSqsClient(client);
  }
}
