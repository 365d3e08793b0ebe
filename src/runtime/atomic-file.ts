import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes `text` to `path` so that a crash mid-write leaves the old file whole:
 * a temp file beside it, fsync, rename, then an fsync of the directory,
 * without which a machine crash just after may bring the old entry back. A
 * write that fails (a full disk, a read-only directory) removes its temp file
 * before the error goes on: a retry every few seconds must not fill the
 * directory with them.
 */
export function writeFileAtomic(path: string, text: string, opts: { syncDir?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // A caller writing many files of one directory at once syncs it once, after the last.
  if (opts.syncDir !== false) syncDirectory(dirname(path));
}

/** Best effort: some systems cannot open a directory for fsync, and the file is already whole either way. */
export function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // The rename stands; only its durability across a power cut is not promised here.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Flushes a file another writer appends to (a node's seen journal, written
 * in its worker) to disk, by path: any descriptor of a file flushes all of
 * its dirty pages. No file, nothing to flush.
 */
export function syncFileIfExists(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
