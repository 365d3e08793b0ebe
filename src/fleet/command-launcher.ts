import { endsWithin } from "../sqs/backoff.ts";
import type { Launcher, Running } from "./slot.ts";
import { lineSplitter, type LogSink } from "./logs.ts";

export interface CommandLauncherOptions {
  id: string;
  /** A shell command line, as written in fleet.yaml. */
  command: string;
  env: Record<string, string>;
  cwd: string;
  sink: LogSink;
}

/** Process groups of the command nodes alive now, so a hurried exit can take them along. */
const liveGroups = new Set<number>();

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    // The child leads its own process group: the signal reaches the shell and whatever it started.
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * After its shell exits, how long what it left behind (a child ignoring
 * SIGTERM) may take to go before SIGKILL; until then a hurried exit still
 * finds the group.
 */
const LEFTOVER_GRACE_MS = 1_000;

/** Whether any process of the group is left (a zombie its parent has not reaped counts). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to every command node still alive: for an exit that cannot wait (a second Ctrl-C). */
export function killCommandNodes(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
}

/**
 * `command:` nodes: a child process in any language, run by `sh -c` in a
 * process group of its own. Its stdout and stderr join the log stream line by
 * line, tagged with its node id.
 */
export function commandLauncher(opts: CommandLauncherOptions): Launcher {
  return {
    launch(): Running {
      let stopRequested = false;
      const proc = Bun.spawn(["sh", "-c", opts.command], {
        cwd: opts.cwd,
        env: opts.env,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        detached: true,
      });
      liveGroups.add(proc.pid);
      const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
        const split = lineSplitter((line) => opts.sink.writeText(opts.id, name, line));
        const decoder = new TextDecoder();
        for await (const chunk of stream) split.push(decoder.decode(chunk, { stream: true }));
        split.end();
      };
      const pumped = Promise.all([pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr")]).catch(() => {});
      const ended = proc.exited.then(async (code) => {
        // Whatever the shell left behind goes with it: asked first, then made to. The group stays
        // listed until it is empty, so a second Ctrl-C meanwhile still reaches a child that outlived its shell.
        signalGroup(proc.pid, "SIGTERM");
        const graceEndMs = Date.now() + LEFTOVER_GRACE_MS;
        while (groupAlive(proc.pid) && Date.now() < graceEndMs) await Bun.sleep(50);
        if (groupAlive(proc.pid)) signalGroup(proc.pid, "SIGKILL");
        liveGroups.delete(proc.pid);
        await Promise.race([pumped, Bun.sleep(1_000)]);
        const reason = proc.signalCode ? `killed by ${proc.signalCode}` : `exited with code ${code}`;
        return { crashed: !stopRequested, reason };
      });
      return {
        ended,
        async stop(boundMs) {
          stopRequested = true;
          signalGroup(proc.pid, "SIGTERM");
          if (!(await endsWithin(proc.exited, boundMs))) signalGroup(proc.pid, "SIGKILL");
        },
        crash() {
          signalGroup(proc.pid, "SIGKILL");
        },
      };
    },
  };
}
