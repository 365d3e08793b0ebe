import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { Remembered } from "../core/types.ts";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * A node's dedupe memory and outbox on disk, `{state dir}/{id}.seen`, one
 * JSON line each:
 *
 * - `["p", atMs, key, sends]` before the replies of a handled message leave:
 *   their queues and bodies, as they will be sent;
 * - `["m", atMs, key]` / `["e", atMs, key]` once SQS took all of them (a
 *   handled message, a counted vote), before the message's delete.
 *
 * A node that dies with replies in flight (SQS may have taken them or not)
 * is handed the message again after a restart: the restarted node knows the
 * key, does not handle it again, and sends the stored replies once more,
 * byte for byte, so their receivers tell the copies apart by msg_id. A node
 * that dies after its replies went out but before its delete finds the key
 * done. Either way no reply goes out as a second answer, no vote counts twice.
 *
 * Bounded: loading keeps only keys inside the dedupe window, at most
 * `perTableMax` of each table (the core's own bounds), and rewrites the file
 * with them; `appendsMax` lines appended since rewrite it the same way.
 */
/** One reply as it will go out. */
export interface WireSend {
  queueUrl: string;
  body: string;
  to?: string;
}

/** A handled message whose replies had not all been taken by SQS when the journal was last written. */
export interface Pending {
  key: string;
  atMs: number;
  sends: WireSend[];
}

export interface Loaded {
  /** Keys still inside the window, oldest first: done ones and pending ones alike (neither is handled again). */
  entries: Remembered[];
  /** Pending messages to finish: their replies to send again. */
  replay: Pending[];
  /** Lines skipped as damaged. */
  damaged: number;
}

export interface SeenJournal {
  readonly path: string;
  /** What is still inside the window at `nowMs`; rewrites the file with it. */
  load(nowMs: number): Loaded;
  /** Notes a handled message's replies before they leave; throws what the file system throws. */
  pending(p: Pending): void;
  /** Appends done keys; throws what the file system throws (the caller counts and logs it). */
  append(entries: readonly Remembered[], nowMs: number): void;
}

export interface SeenJournalOptions {
  path: string;
  /** Keys older than this are forgotten, ms: the core's dedupe window. */
  windowMs: number;
  /** Keys kept per table: the core's dedupe bound. */
  perTableMax: number;
  /**
   * Lines appended after a rewrite before the next one, which keeps the live
   * keys only. Default perTableMax: the file holds at most the live keys of
   * both tables and this many lines more.
   */
  appendsMax?: number;
}

const Key = z.string().max(512);
const DoneLine = z.tuple([z.enum(["m", "e"]), z.number().finite(), Key]);
const WireSendSchema = z.object({ queueUrl: z.string().max(2048), body: z.string().max(1_048_576), to: z.string().max(64).optional() });
const PendingLine = z.tuple([z.literal("p"), z.number().finite(), Key, z.array(WireSendSchema).max(1_000)]);
const Line = z.union([DoneLine, PendingLine]);
const TABLE = { m: "message", e: "event" } as const;
const CODE = { message: "m", event: "e" } as const;

const lineOf = (r: Remembered) => JSON.stringify([CODE[r.table], r.atMs, r.key]) + "\n";
const pendingLineOf = (p: Pending) => JSON.stringify(["p", p.atMs, p.key, p.sends]) + "\n";

type Parsed = { done: Remembered } | { pending: Pending };

function parseLine(text: string): Parsed | null {
  let parsed;
  try {
    parsed = Line.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  const d = parsed.data;
  if (d[0] === "p") return { pending: { key: d[2], atMs: d[1], sends: d[3].map((x) => ({ queueUrl: x.queueUrl, body: x.body, ...(x.to === undefined ? {} : { to: x.to }) })) } };
  return { done: { table: TABLE[d[0]], key: d[2], atMs: d[1] } };
}

export function createSeenJournal(opts: SeenJournalOptions): SeenJournal {
  const appendsMax = opts.appendsMax ?? opts.perTableMax;
  let appended = 0;

  const inWindow = (atMs: number, nowMs: number) => atMs > nowMs - opts.windowMs && atMs <= nowMs + opts.windowMs;

  function read(nowMs: number): Loaded {
    if (!existsSync(opts.path)) return { entries: [], replay: [], damaged: 0 };
    const live: Remembered[] = [];
    const pendings = new Map<string, Pending>();
    const done = new Set<string>();
    let damaged = 0;
    for (const text of readFileSync(opts.path, "utf8").split("\n")) {
      if (text === "") continue;
      const parsed = parseLine(text);
      // A torn last line (a crash mid-append) or a hand edit: skipped, the rest still counts.
      if (parsed === null) {
        damaged++;
        continue;
      }
      if ("pending" in parsed) {
        if (inWindow(parsed.pending.atMs, nowMs)) pendings.set(parsed.pending.key, parsed.pending);
        continue;
      }
      if (parsed.done.table === "message") done.add(parsed.done.key);
      if (inWindow(parsed.done.atMs, nowMs)) live.push(parsed.done);
    }
    const replay = [...pendings.values()].filter((p) => !done.has(p.key)).slice(-opts.perTableMax);
    for (const p of replay) live.push({ table: "message", key: p.key, atMs: p.atMs });
    live.sort((a, b) => a.atMs - b.atMs);
    const keep = (table: Remembered["table"]) => live.filter((r) => r.table === table).slice(-opts.perTableMax);
    const entries = [...keep("message"), ...keep("event")].sort((a, b) => a.atMs - b.atMs);
    return { entries, replay, damaged };
  }

  function compact(nowMs: number): Loaded {
    const r = read(nowMs);
    const pendingKeys = new Set(r.replay.map((p) => p.key));
    const doneLines = r.entries.filter((e) => e.table === "event" || !pendingKeys.has(e.key)).map(lineOf);
    writeFileAtomic(opts.path, doneLines.join("") + r.replay.map(pendingLineOf).join(""));
    appended = 0;
    return r;
  }

  return {
    path: opts.path,
    load(nowMs) {
      return compact(nowMs);
    },
    pending(p) {
      appendFileSync(opts.path, pendingLineOf(p));
      if (++appended > appendsMax) compact(p.atMs);
    },
    append(entries, nowMs) {
      if (entries.length === 0) return;
      appendFileSync(opts.path, entries.map(lineOf).join(""));
      appended += entries.length;
      if (appended > appendsMax) compact(nowMs);
    },
  };
}

/**
 * Every line of a journal as written, repeats included, damaged lines left
 * out: for readers that check that no key was kept twice (the soak's ledger).
 */
export function readSeenLines(path: string): Remembered[] {
  if (!existsSync(path)) return [];
  const out: Remembered[] = [];
  for (const text of readFileSync(path, "utf8").split("\n")) {
    if (text === "") continue;
    const parsed = text === "" ? null : parseLine(text);
    // Pending lines are not keys kept: only done ones say a message was handled.
    if (parsed !== null && "done" in parsed) out.push(parsed.done);
  }
  return out;
}
