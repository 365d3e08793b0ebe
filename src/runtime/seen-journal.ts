import { appendFileSync, close, existsSync, fdatasync, open, readFileSync } from "node:fs";
import { z } from "zod";
import type { Remembered } from "../core/types.ts";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * A node's dedupe memory and outbox on disk, `{state dir}/{id}.seen`, one
 * JSON line each:
 *
 * - `["p", atMs, key, sends]` before the replies of a handled message leave:
 *   their queues and bodies, as they will be sent;
 * - `["m", atMs, key, replies?]` / `["e", atMs, key]` once SQS took all of
 *   them (a handled message with the msg_ids of the replies it caused, a
 *   counted vote), before the message's delete.
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
 *
 * Durability. A worker thread or the process dying loses nothing written:
 * each line is one write(2), in the kernel's page cache at once. A machine
 * dying (power, kernel) loses what was not yet on disk, and only the `p`
 * lines matter then: SQS may have taken a reply whose line is gone, and the
 * restarted node, knowing nothing of it, would answer anew with another
 * msg_id, a second answer. So every SendMessageBatch waits for `flush()`
 * (fdatasync) of the `p` lines written before it: none when nothing was
 * noted, and one flush at a time, which covers every batch that waits for
 * it (a group commit); the thread goes on meanwhile, only the batch waits.
 * A lost `m` line only makes
 * the stored replies go out again, byte for byte (receivers drop the copy);
 * a lost `e` line matters only against a state file saved after it, so the
 * fleet syncs the journal before each state save (state-keeper.ts) instead
 * of flushing once per message.
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
  /**
   * Appends done keys; `replies`, the msg_ids of what handling the message
   * sent, go on its message key's line. Throws what the file system throws
   * (the caller counts and logs it).
   */
  append(entries: readonly Remembered[], nowMs: number, replies?: readonly string[]): void;
  /**
   * Resolves once every `p` line written before the call is on disk: at
   * once when none is waiting; else with the flush in progress if it covers
   * them, or the next, which covers all written meanwhile. Resolves with the
   * file system's error if the flush failed (the caller counts it), never rejects.
   */
  flush(): Promise<Error | null>;
  /** Flushes so far, and the time they took, ms: what a batch waits for durability. */
  syncStats(): { syncs: number; ms: number };
}

/** One kept line as written: a done key and, for a message, the msg_ids of its replies. */
export interface KeptLine extends Remembered {
  replies?: string[];
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
/** A message's replies: at most what one handling sends (the PEER_LIST's HELLOs to 50 entries, with room). */
const Replies = z.array(z.string().max(128)).max(1_000);
const DoneLine = z.union([z.tuple([z.enum(["m", "e"]), z.number().finite(), Key]), z.tuple([z.literal("m"), z.number().finite(), Key, Replies])]);
const WireSendSchema = z.object({ queueUrl: z.string().max(2048), body: z.string().max(1_048_576), to: z.string().max(64).optional() });
const PendingLine = z.tuple([z.literal("p"), z.number().finite(), Key, z.array(WireSendSchema).max(1_000)]);
const Line = z.union([DoneLine, PendingLine]);
const TABLE = { m: "message", e: "event" } as const;
const CODE = { message: "m", event: "e" } as const;

const lineOf = (r: KeptLine) =>
  JSON.stringify(r.replies && r.replies.length > 0 && r.table === "message" ? [CODE[r.table], r.atMs, r.key, r.replies] : [CODE[r.table], r.atMs, r.key]) + "\n";
const pendingLineOf = (p: Pending) => JSON.stringify(["p", p.atMs, p.key, p.sends]) + "\n";

type Parsed = { done: KeptLine } | { pending: Pending };

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
  const done: KeptLine = { table: TABLE[d[0]], key: d[2], atMs: d[1] };
  if (d.length === 4) done.replies = d[3];
  return { done };
}

export function createSeenJournal(opts: SeenJournalOptions): SeenJournal {
  const appendsMax = opts.appendsMax ?? opts.perTableMax;
  let appended = 0;
  /** `p` lines written so far, and how many of them are known on disk. */
  let written = 0;
  let durable = 0;
  /** The flush in progress (covering lines up to `runningUpTo`), and the one queued behind it. */
  let running: Promise<Error | null> | null = null;
  let runningUpTo = 0;
  let queued: Promise<Error | null> | null = null;
  const stats = { syncs: 0, ms: 0 };

  function startFlush(): Promise<Error | null> {
    const upTo = written;
    const t = performance.now();
    runningUpTo = upTo;
    const p = new Promise<Error | null>((resolve) => {
      const done = (err: Error | null) => {
        if (err === null) durable = Math.max(durable, upTo);
        stats.syncs++;
        stats.ms += performance.now() - t;
        resolve(err);
      };
      // Any descriptor of the file flushes all of its dirty pages.
      open(opts.path, "r", (err, fd) => {
        if (err) return done(err);
        fdatasync(fd, (e) => close(fd, () => done(e ?? null)));
      });
    });
    running = p;
    void p.then(() => {
      if (running === p) running = null;
    });
    return p;
  }

  const inWindow = (atMs: number, nowMs: number) => atMs > nowMs - opts.windowMs && atMs <= nowMs + opts.windowMs;

  // Opened and closed at each write, not held: a worker that is killed (threads share the process's
  // descriptors) leaves none behind, and a rewrite (a new file under the name) needs no reopening.
  const write = (text: string) => appendFileSync(opts.path, text);

  function read(nowMs: number): { kept: KeptLine[]; replay: Pending[]; damaged: number } {
    if (!existsSync(opts.path)) return { kept: [], replay: [], damaged: 0 };
    const live: KeptLine[] = [];
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
    const kept = [...keep("message"), ...keep("event")].sort((a, b) => a.atMs - b.atMs);
    return { kept, replay, damaged };
  }

  function compact(nowMs: number): Loaded {
    const r = read(nowMs);
    const pendingKeys = new Set(r.replay.map((p) => p.key));
    const doneLines = r.kept.filter((e) => e.table === "event" || !pendingKeys.has(e.key)).map(lineOf);
    // Fsynced before its rename: the pending lines it carries are durable.
    writeFileAtomic(opts.path, doneLines.join("") + r.replay.map(pendingLineOf).join(""));
    durable = written;
    appended = 0;
    return { entries: r.kept.map(({ table, key, atMs }) => ({ table, key, atMs })), replay: r.replay, damaged: r.damaged };
  }

  return {
    path: opts.path,
    load(nowMs) {
      return compact(nowMs);
    },
    pending(p) {
      write(pendingLineOf(p));
      written++;
      if (++appended > appendsMax) compact(p.atMs);
    },
    append(entries, nowMs, replies) {
      if (entries.length === 0) return;
      const lines = entries.map((r) => lineOf(replies && r.table === "message" ? { ...r, replies: [...replies] } : r));
      write(lines.join(""));
      appended += entries.length;
      if (appended > appendsMax) compact(nowMs);
    },
    flush() {
      const need = written;
      if (durable >= need) return Promise.resolve(null);
      if (running === null) return startFlush();
      if (runningUpTo >= need) return running;
      queued ??= running.then(() => {
        queued = null;
        return durable >= need ? null : startFlush();
      });
      return queued;
    },
    syncStats: () => ({ ...stats }),
  };
}

/**
 * Every line of a journal as written, repeats included, damaged lines left
 * out: for readers that check that no key was kept twice (the soak's ledger).
 */
export function readSeenLines(path: string): KeptLine[] {
  if (!existsSync(path)) return [];
  const out: KeptLine[] = [];
  for (const text of readFileSync(path, "utf8").split("\n")) {
    if (text === "") continue;
    const parsed = parseLine(text);
    // Pending lines are not keys kept: only done ones say a message was handled.
    if (parsed !== null && "done" in parsed) out.push(parsed.done);
  }
  return out;
}
