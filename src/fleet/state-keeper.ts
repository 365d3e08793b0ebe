import { PersistedState } from "../core/state.ts";
import { createLogLimiter } from "../runtime/log-limit.ts";
import { syncDirectory, syncFileIfExists } from "../runtime/atomic-file.ts";
import { loadState, saveState, statePath } from "./state-store.ts";
import type { SlotLog } from "./slot.ts";
import { join } from "node:path";

/**
 * The fleet's memory across runs: one file per built-in node under the state
 * directory, holding its peers, reputations and flags. Loaded once at start;
 * the latest state each worker reports is written every `everyMs` and at
 * stop, atomically, so a fleet started again still knows who lies.
 */
export interface StateKeeper {
  readonly dir: string;
  /** What the node saved last time; undefined when there is none or it was set aside (reported). */
  load(id: string): PersistedState | undefined;
  /** The latest state a node exported; written at the next save. */
  note(id: string, state: PersistedState): void;
  /** Writes every state noted since the last save; failures are reported, never thrown. */
  save(): void;
  /** Ends the periodic saves and writes what is left. */
  stop(): void;
  /** Where the node's worker keeps its dedupe memory (runtime/seen-journal.ts), beside its state. */
  seenPath(id: string): string;
}

export interface StateKeeperOptions {
  dir: string;
  /** 0: only at stop. */
  everyMs: number;
  log: SlotLog;
  now?: () => number;
}

export function createStateKeeper(opts: StateKeeperOptions): StateKeeper {
  const now = opts.now ?? Date.now;
  const dirty = new Map<string, PersistedState>();
  // A full or read-only disk must not fill the log with one line per node per save.
  const limiter = createLogLimiter();

  const save = () => {
    let saved = 0;
    for (const [id, state] of dirty) {
      try {
        // The journal first: a state that counted a vote must never reach the disk before the vote's
        // `e` line, or a machine crash would let the vote's redelivery count it again (seen-journal.ts).
        syncFileIfExists(join(opts.dir, `${id}.seen`));
        saveState(opts.dir, id, state, { syncDir: false });
        dirty.delete(id);
        saved++;
      } catch (err) {
        const held = limiter.admit("save_failed", now());
        if (held !== null) {
          opts.log.error(
            { target: id, file: statePath(opts.dir, id), error: (err as Error).message, held_back: held },
            `could not save the state of ${id}: ${(err as Error).message}; will try again`,
          );
        }
      }
    }
    // One directory for every node's file: its entries reach the disk with one fsync, not one per node.
    if (saved > 0) syncDirectory(opts.dir);
  };
  const timer = opts.everyMs > 0 ? setInterval(save, opts.everyMs) : null;
  timer?.unref?.();

  return {
    dir: opts.dir,
    load(id) {
      const file = statePath(opts.dir, id);
      let r;
      try {
        r = loadState(opts.dir, id, PersistedState, now());
      } catch (err) {
        // Setting the file aside failed too (permissions): still not fatal, the node starts afresh.
        opts.log.error({ target: id, file, error: (err as Error).message }, `state file ${file} could not be read or set aside; ${id} starts afresh`);
        return undefined;
      }
      switch (r.kind) {
        case "none":
          return undefined;
        case "corrupt":
          opts.log.warn(
            { target: id, file, reason: r.reason, set_aside: r.setAsidePath },
            `state file ${file} ${r.reason}; set aside as ${r.setAsidePath}; ${id} starts afresh`,
          );
          return undefined;
        case "loaded":
          if (r.state.id !== id) {
            opts.log.warn({ target: id, file, holds: r.state.id }, `state file ${file} holds the state of ${r.state.id}, not ${id}; ignored`);
            return undefined;
          }
          opts.log.info(
            { target: id, file, peers: r.state.peers.length, flagged: r.state.flagged },
            `${id}: restored ${r.state.peers.length} peer(s)` + (r.state.flagged.length ? `, flagged: ${r.state.flagged.join(", ")}` : ""),
          );
          return r.state;
      }
    },
    seenPath: (id) => join(opts.dir, `${id}.seen`),
    note(id, state) {
      dirty.set(id, state);
    },
    save,
    stop() {
      if (timer) clearInterval(timer);
      save();
    },
  };
}
