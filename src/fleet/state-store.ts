import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { writeFileAtomic } from "../runtime/atomic-file.ts";

/**
 * A node's state file under the fleet's state directory: written atomically
 * (temp file, fsync, rename) so a crash mid-write leaves the old file whole,
 * and read back through a zod schema so a damaged file is caught at start.
 */
export type StateLoad<T> =
  | { kind: "none" }
  | { kind: "loaded"; state: T }
  /** The file was unreadable or did not match the schema; it was moved to `setAsidePath`. */
  | { kind: "corrupt"; reason: string; setAsidePath: string };

export function statePath(dir: string, nodeId: string): string {
  return join(dir, `${nodeId}.json`);
}

export function saveState(dir: string, nodeId: string, state: unknown, opts: { syncDir?: boolean } = {}): void {
  writeFileAtomic(statePath(dir, nodeId), JSON.stringify(state), opts);
}

export function loadState<S extends z.ZodType>(
  dir: string,
  nodeId: string,
  schema: S,
  nowMs: number,
): StateLoad<z.infer<S>> {
  const path = statePath(dir, nodeId);
  if (!existsSync(path)) return { kind: "none" };
  let reason: string;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (parsed.success) return { kind: "loaded", state: parsed.data };
    const issue = parsed.error.issues[0];
    reason = `does not match the state schema at ${issue?.path.join(".") || "(top)"}: ${issue?.message}`;
  } catch (err) {
    reason = err instanceof SyntaxError ? "is not valid JSON" : `could not be read (${(err as Error).message})`;
  }
  // Keep the damaged file for a human to look at; the node starts fresh.
  const setAsidePath = `${path}.corrupt-${nowMs}`;
  renameSync(path, setAsidePath);
  return { kind: "corrupt", reason, setAsidePath };
}
