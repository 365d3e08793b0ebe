import { parse, type Message, type ParseResult } from "../protocol/index.ts";
import { WIRE_BODY_MAX_CHARS, type WireRecord } from "../runtime/wire-record.ts";

/**
 * Everything the checker sees cross the queues, and nothing else: what its
 * probes send and receive and, when the checker runs the bots itself, what
 * reaches and leaves the bots' queues. The target node's own queue is never
 * read: the node's view comes only from what it sends.
 */

/** Records kept at most: a full check at default timings sends a few thousand. */
export const RECORDS_MAX = 100_000;

export interface Seen {
  rec: WireRecord;
  /** The body parsed as the protocol parses it. */
  parsed: ParseResult;
  /** The full body, uncut, for cases that judge its content. */
  fullBody: string;
}

type Listener = (s: Seen) => void;

export interface Observer {
  record(r: Omit<WireRecord, "body" | "size" | "type" | "msgId" | "from"> & { body: string; from?: string }): Seen;
  /** Every record so far, oldest first. */
  all(): readonly Seen[];
  /** What `from` sent that a party of ours received (each message once, deduped on msg_id and receiver). */
  received(from: string, filter?: (s: Seen & { message: Message }) => boolean): Array<Seen & { message: Message }>;
  /** Every body `from` sent that a party of ours received, valid or not. */
  bodiesFrom(from: string): Seen[];
  /** Resolves with the first record (past or future) that matches, or null at `timeoutMs`. */
  waitFor(pred: (s: Seen) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<Seen | null>;
  /** Dropped for the bound. */
  dropped(): number;
}

export function createObserver(): Observer {
  const seen: Seen[] = [];
  const listeners = new Set<Listener>();
  let dropped = 0;

  function record(r: Parameters<Observer["record"]>[0]): Seen {
    const parsed = parse(r.body);
    const raw = parsed.ok ? parsed.message : null;
    const rec: WireRecord = {
      atMs: r.atMs,
      observer: r.observer,
      dir: r.dir,
      from: r.from ?? raw?.sender ?? (parsed.ok ? "?" : (parsed.sender ?? "?")),
      to: r.to,
      type: raw?.type ?? (parsed.ok ? "?" : (parsed.type ?? "?")),
      msgId: raw?.msg_id ?? "",
      size: Buffer.byteLength(r.body, "utf8"),
      body: r.body.length > WIRE_BODY_MAX_CHARS ? r.body.slice(0, WIRE_BODY_MAX_CHARS) : r.body,
    };
    const s: Seen = { rec, parsed, fullBody: r.body.length > 300_000 ? r.body.slice(0, 300_000) : r.body };
    if (seen.length >= RECORDS_MAX) dropped++;
    else seen.push(s);
    for (const l of listeners) l(s);
    return s;
  }

  function received(from: string, filter?: (s: Seen & { message: Message }) => boolean) {
    const keys = new Set<string>();
    const out: Array<Seen & { message: Message }> = [];
    for (const s of seen) {
      if (s.rec.dir !== "in" || !s.parsed.ok || s.parsed.message.sender !== from) continue;
      const key = `${s.rec.to}\u0000${s.parsed.message.msg_id}`;
      // SQS delivers at least once: a redelivery to the same receiver is one message.
      if (keys.has(key)) continue;
      keys.add(key);
      const withMessage = { ...s, message: s.parsed.message };
      if (!filter || filter(withMessage)) out.push(withMessage);
    }
    return out;
  }

  return {
    record,
    all: () => seen,
    received,
    bodiesFrom: (from) => seen.filter((s) => s.rec.dir === "in" && s.rec.from === from),
    waitFor(pred, timeoutMs, signal) {
      for (const s of seen) if (pred(s)) return Promise.resolve(s);
      if (signal?.aborted) return Promise.resolve(null);
      return new Promise((resolve) => {
        const done = (v: Seen | null) => {
          listeners.delete(l);
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(v);
        };
        const l: Listener = (s) => {
          if (pred(s)) done(s);
        };
        const onAbort = () => done(null);
        const timer = setTimeout(() => done(null), Math.max(0, timeoutMs));
        listeners.add(l);
        signal?.addEventListener("abort", onAbort);
      });
    },
    dropped: () => dropped,
  };
}
