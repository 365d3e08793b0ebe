import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import type { WireRecord } from "../runtime/wire-record.ts";

/**
 * `fleet up --trace FILE`: every WireRecord of the fleet as one JSON line,
 * appended. When the file passes `bytesMax` it becomes FILE.1 (FILE.1
 * becomes FILE.2, ...) and a new FILE starts; at most `filesKept` old files
 * stay, so a week-long run takes a bounded disk.
 */
export interface TraceWriter {
  readonly path: string;
  write(records: readonly WireRecord[]): void;
  /** Bytes in the current file. */
  readonly bytes: number;
  /** Why writing stopped (a full disk, a removed folder), or null while it works. */
  readonly failed: string | null;
  close(): void;
}

export interface TraceOptions {
  /** Default 64 MiB. */
  bytesMax?: number;
  /** Old files kept beside the current one; default 3. */
  filesKept?: number;
  /** Told once when writing fails; the fleet goes on without a trace. */
  onFail?: (reason: string) => void;
}

export const TRACE_BYTES_MAX = 64 * 1024 * 1024;

/** Opens (appends to) the trace file; throws with the system's reason when it cannot be opened. */
export function openTrace(path: string, opts: TraceOptions = {}): TraceWriter {
  const bytesMax = opts.bytesMax ?? TRACE_BYTES_MAX;
  const filesKept = opts.filesKept ?? 3;
  let fd = openSync(path, "a");
  let bytes = statSync(path).size;
  let failed: string | null = null;

  const rotate = () => {
    closeSync(fd);
    rmSync(`${path}.${filesKept}`, { force: true });
    for (let i = filesKept - 1; i >= 1; i -= 1) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    if (filesKept > 0) renameSync(path, `${path}.1`);
    else rmSync(path, { force: true });
    fd = openSync(path, "a");
    bytes = 0;
  };

  return {
    path,
    get bytes() {
      return bytes;
    },
    get failed() {
      return failed;
    },
    write(records) {
      if (failed !== null || records.length === 0) return;
      try {
        const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
        const size = Buffer.byteLength(text, "utf8");
        if (bytes > 0 && bytes + size > bytesMax) rotate();
        writeSync(fd, text);
        bytes += size;
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
        opts.onFail?.(failed);
        try {
          closeSync(fd);
        } catch {
          // already closed by a failed rotation
        }
      }
    },
    close() {
      if (failed !== null) return;
      failed = "closed";
      closeSync(fd);
    },
  };
}
