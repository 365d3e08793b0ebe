import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { Remembered } from "../core/types.ts";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * A node's dedupe memory on disk, `{state dir}/{id}.seen`: one JSON line per
 * key the core remembered (a handled message, a counted vote), appended once
 * what the message caused is done, before its delete. A node that dies after
 * its replies went out but before SQS took the delete is then handed the
 * message again by a restarted node that knows it: the replies do not go out
 * twice, the vote is not counted twice.
 *
 * Bounded: loading keeps only keys inside the dedupe window, at most
 * `perTableMax` of each table (the core's own bounds), and rewrites the file
 * with them; appends past `linesMax` rewrite it the same way.
 */
export interface SeenJournal {
  readonly path: string;
  /** The keys still inside the window at `nowMs`, oldest first; damaged lines are skipped and counted. */
  load(nowMs: number): { entries: Remembered[]; damaged: number };
  /** Appends keys; throws what the file system throws (the caller counts and logs it). */
  append(entries: readonly Remembered[], nowMs: number): void;
}

export interface SeenJournalOptions {
  path: string;
  /** Keys older than this are forgotten, ms: the core's dedupe window. */
  windowMs: number;
  /** Keys kept per table: the core's dedupe bound. */
  perTableMax: number;
  /** Lines the file may reach before it is rewritten with the live keys only. Default 4 × perTableMax. */
  linesMax?: number;
}

const Line = z.tuple([z.enum(["m", "e"]), z.number().finite(), z.string().max(512)]);
const TABLE = { m: "message", e: "event" } as const;
const CODE = { message: "m", event: "e" } as const;

const lineOf = (r: Remembered) => JSON.stringify([CODE[r.table], r.atMs, r.key]) + "\n";

export function createSeenJournal(opts: SeenJournalOptions): SeenJournal {
  const linesMax = opts.linesMax ?? 4 * opts.perTableMax;
  let lines = 0;

  function read(nowMs: number): { entries: Remembered[]; damaged: number } {
    if (!existsSync(opts.path)) return { entries: [], damaged: 0 };
    const live: Remembered[] = [];
    let damaged = 0;
    for (const text of readFileSync(opts.path, "utf8").split("\n")) {
      if (text === "") continue;
      let parsed;
      try {
        parsed = Line.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      // A torn last line (a crash mid-append) or a hand edit: skipped, the rest still counts.
      if (!parsed?.success) {
        damaged++;
        continue;
      }
      const [code, atMs, key] = parsed.data;
      if (atMs > nowMs - opts.windowMs && atMs <= nowMs + opts.windowMs) live.push({ table: TABLE[code], key, atMs });
    }
    live.sort((a, b) => a.atMs - b.atMs);
    const keep = (table: Remembered["table"]) => live.filter((r) => r.table === table).slice(-opts.perTableMax);
    const entries = [...keep("message"), ...keep("event")].sort((a, b) => a.atMs - b.atMs);
    return { entries, damaged };
  }

  function compact(nowMs: number): { entries: Remembered[]; damaged: number } {
    const r = read(nowMs);
    writeFileAtomic(opts.path, r.entries.map(lineOf).join(""));
    lines = r.entries.length;
    return r;
  }

  return {
    path: opts.path,
    load(nowMs) {
      return compact(nowMs);
    },
    append(entries, nowMs) {
      if (entries.length === 0) return;
      appendFileSync(opts.path, entries.map(lineOf).join(""));
      lines += entries.length;
      if (lines > linesMax) compact(nowMs);
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
    try {
      const parsed = Line.safeParse(JSON.parse(text));
      if (parsed.success) out.push({ table: TABLE[parsed.data[0]], key: parsed.data[2], atMs: parsed.data[1] });
    } catch {
      // a torn line: not a key
    }
  }
  return out;
}
