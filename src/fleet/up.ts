import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { hangupIgnored } from "./hangup.ts";
import { closableOut } from "./closable-out.ts";
import { claimStateDir } from "./state-lock.ts";
import { CONTROL_PORT_DEFAULT, FleetFile, runnableIssues, type LogLevel } from "./config.ts";
import { keyPath, loadFleetFile } from "./config-load.ts";
import { DEFAULT_FLEET_FILE, flagsThrough, UserError } from "./cli-context.ts";
import { formatHealthTable } from "./health-table.ts";
import { killCommandNodes } from "./command-launcher.ts";
import { FleetStartError, startFleet, NODE_STOP_BOUND_MS } from "./supervisor.ts";
import { z } from "zod";
import { openTrace, type TraceWriter } from "./trace.ts";
import { SAME_PRESS_MS } from "./same-press.ts";

export interface UpFlags {
  file?: string;
  only?: string[];
  aws?: boolean;
  sqsPort?: number;
  controlPort?: number;
  logLevel?: LogLevel;
  json?: boolean;
  healthEvery?: number;
  createQueues?: boolean;
  /** Relative to the working directory, as paths on a command line are. */
  stateDir?: string;
  /** `--trace FILE`: every recorded message as a JSON line; relative to the working directory. */
  trace?: string;
  traceMaxMb?: number;
}

/** Past this, the process exits whatever is still stopping: exit within 10 s of the signal. */
const EXIT_DEADLINE_MS = 9_000;

/** Flags win over the file; the result is validated by the file's schema, a bad flag named in the message. */
export function applyFlags(f: FleetFile, flags: UpFlags): FleetFile {
  if (flags.only) {
    const ids = new Set(f.nodes.map((n) => n.id));
    const unknown = flags.only.filter((id) => !ids.has(id));
    if (unknown.length > 0) {
      throw new UserError(`--only: no node ${unknown.join(", ")} in the fleet file (its nodes: ${[...ids].join(", ")})`);
    }
  }
  return flagsThrough(FleetFile, f, [
    { flag: "aws", key: ["network", "sqs"], value: flags.aws ? "aws" : undefined },
    { flag: "sqs-port", key: ["network", "port"], value: flags.sqsPort },
    { flag: "create-queues", key: ["network", "create_queues"], value: flags.createQueues },
    { flag: "control-port", key: ["control", "port"], value: flags.controlPort },
    { flag: "health-every", key: ["health", "every"], value: flags.healthEvery },
    { flag: "state-dir", key: ["state", "dir"], value: flags.stateDir === undefined ? undefined : resolve(flags.stateDir) },
    { flag: "log-level", key: ["log_level"], value: flags.logLevel },
  ]);
}

/**
 * The settings about to run (the file with its flags), held to what only a
 * running fleet needs (config.ts, runnableIssues): one message naming the
 * file, each key and the fix, exit code 2.
 */
export function checkRunnable(f: FleetFile, fileName: string): void {
  const issues = runnableIssues(f);
  if (issues.length === 0) return;
  throw new UserError(`${fileName} cannot run as it is:\n${issues.map((i) => `  ${keyPath(i.path)}: ${i.message}`).join("\n")}`);
}

/** `--trace` and its bound: their rules in one place, a bad one named in one line. */
const TraceFlags = z
  .object({
    trace: z.string().min(1, "expected a file name").optional(),
    traceMaxMb: z.number().positive("expected megabytes, more than 0").optional(),
  })
  .refine((f) => f.traceMaxMb === undefined || f.trace !== undefined, { message: "only with --trace FILE", path: ["traceMaxMb"] });

/** The trace file of `--trace`, opened before anything starts: a path that cannot be written is the user's to fix. */
function openTraceFlag(flags: UpFlags): TraceWriter | undefined {
  const checked = TraceFlags.safeParse({ trace: flags.trace, traceMaxMb: flags.traceMaxMb });
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UserError(`--${issue.path[0] === "traceMaxMb" ? "trace-max-mb" : "trace"}: ${issue.message}`);
  }
  const { trace: file, traceMaxMb: maxMb } = checked.data;
  if (file === undefined) return undefined;
  const path = resolve(file);
  try {
    return openTrace(path, {
      ...(maxMb !== undefined ? { bytesMax: Math.round(maxMb * 1024 * 1024) } : {}),
      onFail: (reason) => process.stderr.write(`--trace ${path}: writing stopped (${reason}); the fleet goes on without a trace\n`),
    });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new UserError(`--trace ${path}: cannot write there (${reason}); give a file in a folder that exists and you may write to`);
  }
}

/**
 * The state directory, made and written once before anything starts. A
 * folder that cannot be would otherwise cost a fleet running for weeks every
 * save and its nodes' dedupe memory, one error line at a time; it is the
 * user's to fix, named by the flag or key that gave it.
 */
export function checkStateDir(dir: string, fileName: string, fromFlag: boolean): void {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`${stateDirSaid(dir, fileName, fromFlag)}: cannot make or write that folder (${code}); give a folder you may write to${fromFlag ? "" : ", or pass --state-dir D"}`);
  }
}

/** The state directory as the user gave it: by the flag, or by the file's key. */
export function stateDirSaid(dir: string, fileName: string, fromFlag: boolean): string {
  return fromFlag ? `--state-dir ${dir}` : `${fileName}: state.dir (${dir})`;
}

/** `fleet up`: runs until SIGINT or SIGTERM, then stops every node and prints the final health. */
export async function runUp(flags: UpFlags): Promise<never> {
  // Read before anything installs a handler: once one is, SIGHUP no longer shows as ignored.
  const hangupIgnoredAtStart = hangupIgnored();
  const path = resolve(flags.file ?? DEFAULT_FLEET_FILE);
  const loaded = loadFleetFile(path);
  if (!loaded.ok) throw new UserError(loaded.message);
  const file = applyFlags(loaded.file, flags);
  checkRunnable(file, path);
  const json = flags.json === true || !process.stdout.isTTY;
  // The supervisor resolves it from the file's folder; a --state-dir is absolute by now.
  const stateDir = resolve(dirname(path), file.state.dir);
  checkStateDir(stateDir, path, flags.stateDir !== undefined);
  const release = claimStateDir(stateDir, stateDirSaid(stateDir, path, flags.stateDir !== undefined));
  // Every way out of fleet up passes here, a refused start and the second Ctrl-C included.
  process.on("exit", release);
  const trace = openTraceFlag(flags);

  // Set once the signal handler exists: a reader that goes away stops the fleet as Ctrl-C does.
  let onOutputClosed = () => {};
  const stdout = closableOut(process.stdout, () => onOutputClosed());

  let fleet;
  try {
    fleet = await startFleet({
      file,
      fileDir: dirname(path),
      only: flags.only,
      json,
      out: (s) => stdout.write(s),
      debugRoutes: process.env.FLEET_DEBUG_ROUTES === "1",
      ...(trace ? { trace } : {}),
    });
  } catch (err) {
    trace?.close();
    if (err instanceof FleetStartError || (err instanceof Error && /^(Sqs|Control)\w*Error$/.test(err.name))) {
      throw new UserError(err.message, 1);
    }
    throw err;
  }

  if (!json) {
    stdout.write(
      `\n  control:   ${fleet.control.url}/health   (bun run fleet status${fleet.control.port !== CONTROL_PORT_DEFAULT ? ` --control-port ${fleet.control.port}` : ""})\n` +
        (fleet.control.routes().includes("GET /") ? `  dashboard: ${fleet.control.url}/\n` : "") +
        `  sqs:       ${fleet.sqsEndpoint ?? "Amazon SQS"}\n` +
        (trace ? `  trace:     ${trace.path}\n` : "") +
        `  Ctrl-C stops every node and prints the final health.\n\n`,
    );
  }

  return new Promise<never>(() => {
    let firstSignalMs: number | null = null;
    const onSignal = (sig: NodeJS.Signals) => {
      const nowMs = Date.now();
      if (firstSignalMs !== null && nowMs - firstSignalMs < SAME_PRESS_MS) {
        fleet.log.debug({ signal: sig }, `${sig} again within ${SAME_PRESS_MS} ms: the same press, still stopping`);
        return;
      }
      if (firstSignalMs !== null) {
        fleet.log.warn({ signal: sig }, "second signal: exiting at once");
        killCommandNodes();
        process.exit(130);
      }
      firstSignalMs = nowMs;
      fleet.log.info({ signal: sig }, `${sig}: stopping every node (again to exit at once)`);
      const deadline = setTimeout(() => {
        fleet.log.error({}, `nodes still stopping after ${EXIT_DEADLINE_MS / 1000}s; exiting`);
        killCommandNodes();
        stdout.write(formatHealthTable(fleet.health()) + "\n");
        stdout.flush(() => process.exit(0));
      }, EXIT_DEADLINE_MS);
      deadline.unref?.();
      void fleet.stop(NODE_STOP_BOUND_MS).then((final) => {
        fleet.sink.writeBlock(formatHealthTable(final), { health: final, msg: "final health" });
        fleet.log.info({ event: "fleet_down" }, "fleet down");
        // Let the last lines reach a pipe before the process goes.
        stdout.flush(() => process.exit(0));
      });
    };
    onOutputClosed = () => onSignal("SIGPIPE");
    // The reader may have gone while the fleet was starting.
    if (stdout.closed) onOutputClosed();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // A closed terminal: command nodes live in their own process groups and must not be left behind.
    // Unless the fleet was started to outlive it (nohup): then the hangup stays ignored.
    if (!hangupIgnoredAtStart) process.on("SIGHUP", onSignal);
  });
}
