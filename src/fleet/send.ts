import { randomBytes } from "node:crypto";
import {
  build,
  encode,
  isNodeId,
  MESSAGE_TYPES,
  parse,
  queueUrlOf,
  type Message,
  type MessageType,
  type NetworkId,
} from "../protocol/index.ts";
import { closeSqsClient, createSqsClient, ensureQueue } from "../sqs/client.ts";
import { sendMessage } from "../sqs/messages.ts";
import { describeSqsError } from "../sqs/errors.ts";
import type { ContentItem } from "../core/types.ts";
import { reachOf, UserError, type ReachFlags } from "./cli-context.ts";

/** `--set` pairs accepted at most: a message, not a data load. */
const SETS_MAX = 50;

export interface CliMessageInput {
  type: string;
  from: string;
  sets: readonly string[];
  net: NetworkId;
  content: readonly ContentItem[];
  nowMs: number;
  msgId: string;
}

/** The fields a type needs, filled with what a person would most likely mean. */
function defaults(type: MessageType, i: CliMessageInput): Record<string, unknown> {
  const item = i.content[0] ?? { content_id: "show:midnight-run", ad_id: "ad-7" };
  switch (type) {
    case "HELLO":
      return { queue_url: queueUrlOf(i.net, i.from) };
    case "PEER_LIST":
      return { peers: [{ node_id: i.from, queue_url: queueUrlOf(i.net, i.from) }] };
    case "PING":
    case "PONG":
      return { seq: 1 };
    case "VIEW_EVENT":
      return { event_id: `${i.from}-${i.msgId}`, content_id: item.content_id, count: 100, ad_id: item.ad_id };
    case "AUDIT_RESULT":
      return { content_id: item.content_id, agreed_count: 100, confidence: 1, voters: [i.from] };
    case "CHOKE":
    case "UNCHOKE":
      return {};
  }
}

/** `key=value`: the value is read as JSON when it is JSON (numbers, lists), else as text. */
export function parseSet(s: string): [string, unknown] {
  const eq = s.indexOf("=");
  if (eq <= 0) throw new UserError(`--set ${JSON.stringify(s)}: expected key=value, such as --set seq=7`);
  const key = s.slice(0, eq);
  const text = s.slice(eq + 1);
  try {
    return [key, JSON.parse(text)];
  } catch {
    return [key, text];
  }
}

/**
 * One protocol message from the command line, checked by the protocol's own
 * schema before it is sent, so a typo never reaches a node.
 */
export function buildCliMessage(i: CliMessageInput): Message {
  const type = i.type.toUpperCase();
  if (!(MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw new UserError(`unknown message type ${JSON.stringify(i.type)}; expected one of ${MESSAGE_TYPES.join(", ")}`);
  }
  if (!isNodeId(i.from)) throw new UserError(`--from ${JSON.stringify(i.from)}: a node id is 1-40 lowercase letters, digits or '-'`);
  if (i.sets.length > SETS_MAX) throw new UserError(`at most ${SETS_MAX} --set options`);
  const extra = defaults(type as MessageType, i);
  for (const s of i.sets) {
    const [k, v] = parseSet(s);
    extra[k] = v;
  }
  const msg = { ...build(type as MessageType, { sender: i.from, nowMs: i.nowMs, msgId: i.msgId }, extra as never), ...extra };
  const checked = parse(encode(msg as Message));
  if (!checked.ok) throw new UserError(`not a valid ${type}: ${checked.detail}`);
  return checked.message;
}

export interface SendFlags extends ReachFlags {
  to: string;
  type: string;
  from: string;
  set?: string[];
}

export async function runSend(flags: SendFlags, out: (s: string) => void): Promise<void> {
  const reach = reachOf(flags, ["sqs"]);
  if (!isNodeId(flags.to)) throw new UserError(`<to> ${JSON.stringify(flags.to)}: a node id is 1-40 lowercase letters, digits or '-'`);
  const message = buildCliMessage({
    type: flags.type,
    from: flags.from,
    sets: flags.set ?? [],
    net: reach.net,
    content: reach.file.content,
    nowMs: Date.now(),
    msgId: randomBytes(4).toString("hex"),
  });
  const client = createSqsClient(reach.sqs, { requestTimeoutMs: 10_000 });
  try {
    // Replies go to the sender's queue; on the embedded SQS it is made so they have somewhere to land.
    if (reach.sqs.mode === "local") await ensureQueue(client, reach.sqs, reach.net, flags.from);
    await sendMessage(client, queueUrlOf(reach.net, flags.to), encode(message));
  } catch (err) {
    throw new UserError(`could not send to ${flags.to} on ${reach.where}: ${describeSqsError(err)}` + hintOf(err, reach.where), 1);
  } finally {
    closeSqsClient(client);
  }
  out(JSON.stringify(message, null, 2) + "\n");
  out(`sent ${message.type} to ${flags.to}; replies go to ${flags.from}'s queue: bun run fleet peek ${flags.from}\n`);
}

/** What to do about the usual failures, in words. */
export function hintOf(err: unknown, where: string): string {
  const text = describeSqsError(err);
  if (/ECONNREFUSED|Unable to connect|ConnectionRefused/i.test(text)) {
    return `\nNothing answers at ${where}: is the fleet up (bun run fleet up)? Another port: --sqs-port N; Amazon SQS: --aws.`;
  }
  if (/QueueDoesNotExist|NonExistentQueue/i.test(text)) return `\nThat node has no queue on ${where}.`;
  return "";
}
