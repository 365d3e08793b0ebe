import { MESSAGE_TYPES, SCHEMA_BY_TYPE, type Message, type MessageType } from "./schema.ts";

/** docs/protocol.md §2 (WIRE-2, WIRE-6): a body over 256 KiB is rejected before it is parsed. */
export const BODY_BYTES_MAX = 256 * 1024;

export const REJECT_REASONS = [
  "too_large",
  "not_json",
  "not_object",
  "missing_type",
  "unknown_type",
  "invalid_field",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  ok: false;
  reason: RejectReason;
  /** Dotted path of the offending field for invalid_field, e.g. `peers.3.node_id`. */
  path?: string;
  /** One human line; never contains the body itself. */
  detail: string;
  /** The claimed sender when the body got far enough to have one. */
  sender?: string;
  type?: string;
}
export type ParseResult = { ok: true; message: Message } | Rejection;

const TYPES = new Set<string>(MESSAGE_TYPES);

function utf8Bytes(s: string): number {
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  return s.length * 3 <= BODY_BYTES_MAX ? s.length : Buffer.byteLength(s, "utf8");
}

function printable(v: unknown, max = 40): string | undefined {
  if (typeof v !== "string") return undefined;
  const clean = v.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > max ? clean.slice(0, max) + "…" : clean;
}

/** Parses one queue message body. Never throws. */
export function parse(body: string): ParseResult {
  if (typeof body !== "string") return { ok: false, reason: "not_json", detail: "body is not text" };
  if (utf8Bytes(body) > BODY_BYTES_MAX) {
    return { ok: false, reason: "too_large", detail: `body over ${BODY_BYTES_MAX} bytes` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, reason: "not_json", detail: "body is not JSON" };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const kind = raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw;
    return { ok: false, reason: "not_object", detail: `body is ${kind}, not a JSON object` };
  }
  const obj = raw as Record<string, unknown>;
  const sender = printable(obj.sender);
  const type = obj.type;
  if (type === undefined) return { ok: false, reason: "missing_type", detail: "no `type` field", sender };
  if (typeof type !== "string" || !TYPES.has(type)) {
    return {
      ok: false,
      reason: "unknown_type",
      detail: `type ${JSON.stringify(printable(type) ?? typeof type)} is not one of ${MESSAGE_TYPES.join(", ")}`,
      sender,
      type: printable(type),
    };
  }
  const result = SCHEMA_BY_TYPE[type as MessageType].safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join(".");
    return {
      ok: false,
      reason: "invalid_field",
      path,
      detail: `${type}.${path || "(body)"}: ${issue.message}`,
      sender,
      type,
    };
  }
  return { ok: true, message: result.data as Message };
}
