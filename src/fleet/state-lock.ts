import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./cli-context.ts";

/**
 * One fleet per state directory. Two `fleet up`s on the same folder (a
 * second one started in another terminal, with ports 0 or on another SQS)
 * would each rewrite the other's state files and append to the same `.seen`
 * journals, so a node could handle a message twice or forget one it did:
 * the second is refused before anything starts. The claim is a file holding
 * the fleet's pid; a pid that no longer runs is a claim left by a crash, and
 * is taken over.
 */
export const STATE_LOCK_FILE = "fleet.pid";

/** Whether a process with this pid exists (EPERM: it does, another user's). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Claims `dir` for this process; returns the release (it removes the file
 * only while it is still this process's). `said` names the folder as the
 * user gave it (the flag or the key).
 */
export function claimStateDir(dir: string, said: string): () => void {
  const path = join(dir, STATE_LOCK_FILE);
  // Twice at most: the second after taking over a stale claim.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(path, "utf8").trim());
    } catch {}
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
      throw new UserError(
        `${said} is in use by another fleet up (pid ${holder}): two fleets on one state directory would overwrite each other's ` +
          `state and dedupe memory. Stop that one, or give this one its own folder with --state-dir D ` +
          `(if no fleet runs there, delete ${path}).`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new UserError(`${said}: could not claim ${path}; another fleet up is starting on the same folder`);
}
