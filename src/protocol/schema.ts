import { z } from "zod";
import { NodeId } from "./ids.ts";
import { ISO_TIMESTAMP_RE, parseTimestampMs } from "./time.ts";

/**
 * The eight message types of docs/protocol.md §3. Their names are part of the
 * protocol: never rename them.
 */
export const MESSAGE_TYPES = [
  "HELLO",
  "PEER_LIST",
  "PING",
  "PONG",
  "VIEW_EVENT",
  "AUDIT_RESULT",
  "CHOKE",
  "UNCHOKE",
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Text fields that land in logs and tables: printable, bounded. */
const Label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "control characters are not allowed");

const Timestamp = z
  .string()
  .max(64)
  .regex(ISO_TIMESTAMP_RE, "an ISO 8601 timestamp with an offset, such as 2026-11-24T14:03:08.124Z")
  .refine((s) => parseTimestampMs(s) !== null, "not a real date and time");

const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The common fields of docs/protocol.md §2. Unknown fields are ignored (stripped). */
const common = {
  sender: NodeId,
  timestamp: Timestamp,
  msg_id: Label(64),
};

/** Statuses a PEER_LIST entry may carry (docs/protocol.md, "Large networks"). */
export const ENTRY_STATUSES = ["alive", "suspect", "dead"] as const;

/**
 * A PEER_LIST entry; one without a queue_url gets the naming-scheme URL.
 * `status` and `incarnation` spread suspicions and refutations in a large
 * network; other nodes ignore them, and a value of the wrong kind is taken
 * as absent rather than refusing the whole list.
 */
export const PeerEntry = z.object({
  node_id: NodeId,
  queue_url: z.string().max(2048).optional(),
  status: z.enum(ENTRY_STATUSES).optional().catch(undefined),
  incarnation: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional().catch(undefined),
});
export type PeerEntry = z.infer<typeof PeerEntry>;

/**
 * PEER_LIST is accepted at any length that fits in 256 KiB; the core keeps
 * the first PEER_LIST_MAX entries and counts the rest as dropped.
 */
export const Hello = z.object({ type: z.literal("HELLO"), ...common, queue_url: z.string().max(2048) });
export const PeerList = z.object({ type: z.literal("PEER_LIST"), ...common, peers: z.array(PeerEntry) });
export const Ping = z.object({ type: z.literal("PING"), ...common, seq: Count });
export const Pong = z.object({ type: z.literal("PONG"), ...common, seq: Count });
export const ViewEvent = z.object({
  type: z.literal("VIEW_EVENT"),
  ...common,
  event_id: Label(128),
  content_id: Label(128),
  count: Count,
  // Lenient: a hand-written node may leave the ad out; it takes no part in audits.
  ad_id: z.string().max(128).default(""),
});
/** An AUDIT_RESULT names at most this many voters; the core trims its own to fit. */
export const VOTERS_MAX = 500;
export const AuditResult = z.object({
  type: z.literal("AUDIT_RESULT"),
  ...common,
  content_id: Label(128),
  agreed_count: Count,
  confidence: z.number().min(0).max(1),
  voters: z.array(NodeId).max(VOTERS_MAX),
});
export const Choke = z.object({ type: z.literal("CHOKE"), ...common });
export const Unchoke = z.object({ type: z.literal("UNCHOKE"), ...common });

export const Message = z.discriminatedUnion("type", [
  Hello,
  PeerList,
  Ping,
  Pong,
  ViewEvent,
  AuditResult,
  Choke,
  Unchoke,
]);
export type Message = z.infer<typeof Message>;
export type Hello = z.infer<typeof Hello>;
export type PeerList = z.infer<typeof PeerList>;
export type Ping = z.infer<typeof Ping>;
export type Pong = z.infer<typeof Pong>;
export type ViewEvent = z.infer<typeof ViewEvent>;
export type AuditResult = z.infer<typeof AuditResult>;
export type Choke = z.infer<typeof Choke>;
export type Unchoke = z.infer<typeof Unchoke>;
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

export const SCHEMA_BY_TYPE = {
  HELLO: Hello,
  PEER_LIST: PeerList,
  PING: Ping,
  PONG: Pong,
  VIEW_EVENT: ViewEvent,
  AUDIT_RESULT: AuditResult,
  CHOKE: Choke,
  UNCHOKE: Unchoke,
} as const;
