import { killCommandNodes } from "../fleet/command-launcher.ts";
import { hangupIgnored } from "../fleet/hangup.ts";
import { SAME_PRESS_MS } from "../fleet/same-press.ts";
import { deleteEveryMadeQueue, deletionLine, queuesNotDeleted, QUEUES_DELETE_BOUND_MS } from "./made-queues.ts";

/**
 * `fleet check` stopped from outside (Ctrl-C, a grader's timeout, a closed terminal): no
 * verdict, and nothing of the check's left behind. The node it started goes
 * at once (SIGKILL to its process group); the queues it created on a shared
 * network are deleted, side by side, within QUEUES_DELETE_BOUND_MS, and one
 * line says which went or names those that could not, for the user to delete.
 * A second signal (a second press, not the same one forwarded) exits at once,
 * naming the queues that may remain.
 */

// SIGHUP: the terminal the check ran in was closed; its queues must go all the same.
const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Past the deletion's own bound, the exit comes anyway: a stop never hangs. */
const EXIT_GRACE_MS = 2_000;

export interface CheckStop {
  /** Whether a signal stopped the check: its own flow then writes nothing more and leaves the exit to the handler. */
  stopped(): boolean;
}

export function exitOnStopSignals(): CheckStop {
  let first: { sig: NodeJS.Signals; atMs: number } | null = null;
  const exit = (code: number, text: string) => {
    // After a hangup stderr may lead nowhere: a write that fails or never completes must not keep the process.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    try {
      process.stderr.write(text, () => process.exit(code));
    } catch {
      process.exit(code);
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    const code = EXIT_CODES[sig] ?? 1;
    const nowMs = Date.now();
    if (first !== null) {
      if (nowMs - first.atMs < SAME_PRESS_MS) return;
      killCommandNodes();
      const left = queuesNotDeleted();
      exit(code, `fleet check stopped by ${sig} again: exiting at once${left.length > 0 ? `; queues it created may remain, delete them yourself: ${left.join(", ")}` : ""}\n`);
      return;
    }
    first = { sig, atMs: nowMs };
    killCommandNodes();
    const made = queuesNotDeleted();
    if (made.length > 0) {
      process.stderr.write(`fleet check stopped by ${sig}: deleting the ${made.length} queues it created, ${QUEUES_DELETE_BOUND_MS / 1000} s at most (again to exit at once)\n`);
    }
    const backstop = setTimeout(() => {
      const left = queuesNotDeleted();
      exit(code, `fleet check could not finish deleting its queues${left.length > 0 ? `; delete them yourself: ${left.join(", ")}` : ""}\nfleet check stopped by ${sig}: no verdict\n`);
    }, QUEUES_DELETE_BOUND_MS + EXIT_GRACE_MS);
    // Also with none made yet: a check looking its names up must not create them once stopped.
    void deleteEveryMadeQueue(QUEUES_DELETE_BOUND_MS).then((outcome) => {
      clearTimeout(backstop);
      const line = deletionLine(outcome);
      exit(code, `${line !== null ? `${line}\n` : ""}fleet check stopped by ${sig}: no verdict\n`);
    });
  };
  // Under nohup a hangup is meant to pass the check by; a handler of ours would undo that.
  const ignoreHangup = hangupIgnored();
  for (const sig of Object.keys(EXIT_CODES) as NodeJS.Signals[]) if (sig !== "SIGHUP" || !ignoreHangup) process.on(sig, onSignal);
  return { stopped: () => first !== null };
}
