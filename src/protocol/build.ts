import { formatTimestamp } from "./time.ts";
import type { Message, MessageOf, MessageType } from "./schema.ts";

/** What every message carries besides its type (docs/protocol.md §2). */
export interface Envelope {
  sender: string;
  nowMs: number;
  /** 8 hex characters, as the notebook sends; drawn from the caller's seeded random source. */
  msgId: string;
}

type Extra<T extends MessageType> = Omit<MessageOf<T>, "type" | "sender" | "timestamp" | "msg_id">;

/** Builds one message with the common fields filled in. */
export function build<T extends MessageType>(type: T, env: Envelope, extra: Extra<T>): MessageOf<T> {
  return {
    type,
    sender: env.sender,
    timestamp: formatTimestamp(env.nowMs),
    msg_id: env.msgId,
    ...extra,
  } as MessageOf<T>;
}

/** The wire form: one JSON object. */
export function encode(message: Message): string {
  return JSON.stringify(message);
}
