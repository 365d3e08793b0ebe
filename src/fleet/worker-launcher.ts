import { Worker } from "node:worker_threads";
import type { PersistedState } from "../core/state.ts";
import type { FromWorker, ToWorker, WorkerInit } from "../runtime/worker-messages.ts";
import type { WireRecord } from "../runtime/wire-record.ts";
import { endsWithin } from "../sqs/backoff.ts";
import type { Launcher, Running } from "./slot.ts";
import type { LogSink } from "./logs.ts";

/** The worker entry that runs one built-in node. */
export const NODE_WORKER_URL = new URL("../runtime/worker.ts", import.meta.url);

/** Time a worker gets beyond its own stop bound before it is terminated. */
const TERMINATE_GRACE_MS = 1_000;

export interface WorkerLauncherOptions {
  init: WorkerInit;
  sink: LogSink;
  /** Another worker entry speaking the same messages (tests). */
  url?: URL | string;
  /** Each state the node exports (every few seconds and at stop), to be saved across fleet runs. */
  onState?: (state: PersistedState) => void;
  /** The messages the node recorded since its last report (the fleet's timeline), and how many did not fit. */
  onWire?: (records: WireRecord[], dropped: number) => void;
}

/** Built-in nodes: one worker thread each, logs and health posted to the parent. */
export function workerLauncher(opts: WorkerLauncherOptions): Launcher {
  // What the last run exported: a restarted node keeps its peers, reputations and flags.
  let lastState: PersistedState | undefined = opts.init.state;
  const keep = (s: PersistedState) => {
    lastState = s;
    opts.onState?.(s);
  };
  return {
    launch(hooks): Running {
      const w = new Worker(opts.url ?? NODE_WORKER_URL, { workerData: { ...opts.init, ...(lastState ? { state: lastState } : {}) } });
      let stopRequested = false;
      let lastError: string | null = null;
      const post = (m: ToWorker) => {
        try {
          w.postMessage(m);
        } catch {
          // The worker is already gone; `ended` tells the rest.
        }
      };
      w.on("message", (m: FromWorker) => {
        switch (m?.type) {
          case "log":
            opts.sink.write(m.line);
            break;
          case "health":
            if (m.state) keep(m.state);
            hooks.onHealth(m.health);
            break;
          case "wire":
            opts.onWire?.(m.records, m.dropped);
            break;
          case "stopped":
            if (m.state) keep(m.state);
            if (m.health) hooks.onHealth(m.health);
            break;
        }
      });
      w.on("error", (e: Error) => {
        lastError = e?.message ?? String(e);
      });
      const ended = new Promise<{ crashed: boolean; reason: string }>((resolve) => {
        w.on("exit", (code: number) => {
          const reason = lastError ?? `worker exited with code ${code}`;
          resolve({ crashed: !stopRequested || lastError !== null, reason });
        });
      });
      return {
        ended,
        async stop(boundMs) {
          stopRequested = true;
          post({ type: "stop", boundMs });
          if (!(await endsWithin(ended, boundMs + TERMINATE_GRACE_MS))) await w.terminate();
        },
        crash(onBody) {
          post(onBody === undefined ? { type: "crash" } : { type: "crash", onBody });
        },
      };
    },
  };
}
