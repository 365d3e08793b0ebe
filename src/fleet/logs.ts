import pino, { type Logger } from "pino";
import { prettyFactory } from "pino-pretty";
import type { NodeEvent } from "../core/types.ts";
import type { LogLevel } from "./config.ts";
import { describeEvent } from "./health.ts";

/**
 * One log stream for the whole fleet. Workers, child processes and the
 * supervisor all hand JSON lines (pino's format, with a `node` field) to one
 * sink, which writes them as they are (`--json`, or stdout not a terminal) or
 * pretty with one color per node.
 */

/** Credentials never reach a log line, whoever logs the object that holds them. */
export const REDACT_PATHS = [
  "credentials",
  "*.credentials",
  "accessKeyId",
  "*.accessKeyId",
  "secretAccessKey",
  "*.secretAccessKey",
  "sessionToken",
  "*.sessionToken",
  "env.AWS_ACCESS_KEY_ID",
  "env.AWS_SECRET_ACCESS_KEY",
  "env.AWS_SESSION_TOKEN",
  "*.env.AWS_ACCESS_KEY_ID",
  "*.env.AWS_SECRET_ACCESS_KEY",
  "*.env.AWS_SESSION_TOKEN",
  "headers.authorization",
  "*.headers.authorization",
];

export const LEVEL_VALUES: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** A line longer than this is cut: one runaway child must not flood the terminal. */
export const LOG_LINE_CHARS_MAX = 16 * 1024;

/** Distinct on dark and light terminals; nodes past the eighth reuse them. */
const NODE_COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[91m", "\x1b[96m", "\x1b[95m"];
const RESET = "\x1b[0m";

export interface LogSink {
  /** One pino JSON line (no newline needed). */
  write(line: string): void;
  /** A line of plain text from a node that does not speak pino (child process output). */
  writeText(node: string, stream: "stdout" | "stderr", text: string): void;
  /** Text that is not a log line (the health table); it goes to stdout as it is in pretty mode, as one JSON line otherwise. */
  writeBlock(text: string, fields: Record<string, unknown>): void;
  readonly json: boolean;
}

export interface LogSinkOptions {
  json: boolean;
  /** Node ids in the order their colors are handed out. */
  nodes: readonly string[];
  /** Secrets that must never be printed even inside free text (child output). */
  secrets?: readonly string[];
  out?: (s: string) => void;
  /** Per-node threshold for free-text lines; pino lines are filtered where they are made. */
  levelOf?: (node: string) => LogLevel;
}

export function createLogSink(opts: LogSinkOptions): LogSink {
  const out = opts.out ?? ((s: string) => void process.stdout.write(s));
  const colorOf = new Map<string, string>();
  opts.nodes.forEach((id, i) => colorOf.set(id, NODE_COLORS[i % NODE_COLORS.length]!));
  const width = Math.max(5, ...opts.nodes.map((n) => n.length));
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 8);
  const scrub = (s: string) => secrets.reduce((acc, sec) => acc.split(sec).join("[Redacted]"), s);

  const pretty = opts.json
    ? null
    : prettyFactory({
        colorize: true,
        translateTime: "HH:MM:ss.l",
        ignore: "pid,hostname,node",
        singleLine: true,
        messageFormat: (log, key) => {
          const node = String(log.node ?? "fleet");
          const color = colorOf.get(node) ?? "\x1b[37m";
          return `${color}${node.padEnd(width)}${RESET} ${String(log[key] ?? "")}`;
        },
      });

  const emit = (line: string) => {
    const cut = line.length > LOG_LINE_CHARS_MAX ? line.slice(0, LOG_LINE_CHARS_MAX) : line;
    if (pretty === null) {
      out(cut.endsWith("\n") ? cut : cut + "\n");
      return;
    }
    // Only a JSON object is a log line; anything else is printed as it came.
    let obj: unknown;
    try {
      obj = JSON.parse(cut);
    } catch {
      obj = null;
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      out(cut + "\n");
      return;
    }
    // State changes read as words on a terminal; the JSON keeps the structured event.
    const rec = obj as Record<string, unknown>;
    const ev = rec.event;
    if (ev !== null && typeof ev === "object" && typeof (ev as { type?: unknown }).type === "string") {
      rec.msg = describeEvent(ev as NodeEvent);
      delete rec.event;
    }
    out(pretty(rec));
  };

  return {
    json: opts.json,
    // A node's own lines are redacted where they are made; this catches a secret inside free text (an SDK error).
    write: (line) => emit(scrub(line.trimEnd())),
    writeText(node, stream, text) {
      const level = stream === "stderr" ? 40 : 30;
      if (level < LEVEL_VALUES[opts.levelOf?.(node) ?? "info"]) return;
      emit(JSON.stringify({ level, time: Date.now(), node, stream, msg: scrub(text) }));
    },
    writeBlock(text, fields) {
      if (pretty === null) out(JSON.stringify({ level: 30, time: Date.now(), node: "fleet", ...fields }) + "\n");
      else out(text.endsWith("\n") ? text : text + "\n");
    },
  };
}

/**
 * A pino logger for one node (or the supervisor, node "fleet") whose lines
 * go to `write`: in a worker, a message to the parent; in the supervisor,
 * the sink.
 */
export function createNodeLogger(node: string, level: LogLevel, write: (line: string) => void): Logger {
  return pino(
    {
      level,
      base: { node },
      redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
    },
    { write },
  );
}

/** Splits a byte stream into lines, bounded so a child that never prints a newline cannot grow memory. */
export function lineSplitter(onLine: (line: string) => void, charsMax = LOG_LINE_CHARS_MAX): { push(chunk: string): void; end(): void } {
  let buf = "";
  return {
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i).replace(/\r$/, ""));
        buf = buf.slice(i + 1);
      }
      while (buf.length > charsMax) {
        onLine(buf.slice(0, charsMax));
        buf = buf.slice(charsMax);
      }
    },
    end() {
      if (buf !== "") onLine(buf);
      buf = "";
    },
  };
}

/** Reads a child's output stream to its end, line by line (bounded as `lineSplitter` is). */
export async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void, charsMax = LOG_LINE_CHARS_MAX): Promise<void> {
  const split = lineSplitter(onLine, charsMax);
  const decoder = new TextDecoder();
  for await (const chunk of stream) split.push(decoder.decode(chunk, { stream: true }));
  split.end();
}
