import type { RunnerHealth } from "../runtime/types.ts";
import type { SlotView } from "./health.ts";
import { createRestartPolicy, type RestartPolicyOptions, DEFAULT_RESTART_POLICY } from "./restart-policy.ts";

/**
 * One node of the fleet as the supervisor keeps it: something that can be
 * launched, that may crash, and that is restarted by the restart policy. The
 * launch itself (a worker thread, a child process) is behind `Launcher`.
 */

export interface Running {
  /** Resolves when the node ends, with `crashed` false only when it ended because stop() asked it to. */
  readonly ended: Promise<{ crashed: boolean; reason: string }>;
  /** Asks the node to stop within `boundMs`, then makes sure it is gone. */
  stop(boundMs: number): Promise<void>;
  /** Test hook: make the node crash (debug routes only), at once or on the first message whose body contains `onBody`. */
  crash?(onBody?: string): void;
}

export interface Launcher {
  launch(hooks: { onHealth(h: RunnerHealth): void }): Running;
}

export interface SlotLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface Slot {
  readonly id: string;
  view(): SlotView;
  start(): void;
  stop(boundMs: number): Promise<void>;
  /** True when there was a running node to crash. */
  crash(onBody?: string): boolean;
}

export interface SlotOptions {
  id: string;
  persona: string;
  kind: "builtin" | "command";
  launcher: Launcher;
  log: SlotLog;
  policy?: RestartPolicyOptions;
  now?: () => number;
}

export function createSlot(opts: SlotOptions): Slot {
  const now = opts.now ?? Date.now;
  const policy = createRestartPolicy(opts.policy ?? DEFAULT_RESTART_POLICY);
  let slot: SlotView["slot"] = "stopped";
  let restarts = 0;
  let upSinceMs: number | null = null;
  let lastRunMs: number | null = null;
  let runner: RunnerHealth | null = null;
  let running: Running | null = null;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  let stopping = false;

  const launch = () => {
    restartTimer = null;
    if (stopping) return;
    slot = opts.kind === "command" ? "up" : "starting";
    upSinceMs = now();
    runner = null;
    const r = opts.launcher.launch({
      onHealth(h) {
        if (running !== r) return;
        runner = h;
        slot = "up";
      },
    });
    running = r;
    const startedAtMs = upSinceMs;
    void r.ended.then(({ crashed, reason }) => {
      if (running !== r) return;
      running = null;
      upSinceMs = null;
      lastRunMs = startedAtMs === null ? null : now() - startedAtMs;
      if (stopping || !crashed) {
        slot = "stopped";
        return;
      }
      const d = policy.onCrash(now(), startedAtMs);
      if (d.action === "fail") {
        slot = "failed";
        opts.log.error(
          { target: opts.id, reason, crashes_in_window: d.crashesInWindow },
          `${opts.id} crashed ${d.crashesInWindow} times within ${(opts.policy ?? DEFAULT_RESTART_POLICY).windowMs / 1000}s; left down (failed). Its queue keeps its messages.`,
        );
        return;
      }
      slot = "restarting";
      opts.log.warn(
        { target: opts.id, reason, restart_in_ms: d.delayMs },
        `${opts.id} crashed (${reason}); restarting in ${d.delayMs / 1000}s`,
      );
      restartTimer = setTimeout(() => {
        restarts++;
        launch();
      }, d.delayMs);
    });
  };

  return {
    id: opts.id,
    view: () => ({
      id: opts.id,
      persona: opts.persona,
      kind: opts.kind,
      slot,
      restarts,
      upSinceMs,
      lastRunMs,
      runner,
    }),
    start() {
      stopping = false;
      if (running === null && restartTimer === null) launch();
    },
    async stop(boundMs) {
      stopping = true;
      if (restartTimer !== null) {
        clearTimeout(restartTimer);
        restartTimer = null;
      }
      const r = running;
      if (r === null) {
        if (slot !== "failed") slot = "stopped";
        return;
      }
      await r.stop(boundMs);
      await r.ended;
      slot = "stopped";
    },
    crash(onBody) {
      if (running?.crash === undefined) return false;
      running.crash(onBody);
      return true;
    },
  };
}
