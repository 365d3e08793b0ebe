import { Worker } from "node:worker_threads";
import type { PersistedState } from "../core/state.ts";
import type { FromHost, HostInit, ToHost, WorkerInit } from "../runtime/worker-messages.ts";
import type { WireRecord } from "../runtime/wire-record.ts";
import type { LogSink } from "./logs.ts";
import { endsWithin } from "../sqs/backoff.ts";
import type { Launcher, Running } from "./slot.ts";
import type { RunnerHealth } from "../runtime/types.ts";

/** The worker entry that runs several built-in nodes. */
export const HOST_WORKER_URL = new URL("../runtime/host.ts", import.meta.url);

/** Time a node gets beyond its own stop bound before it is given up on. */
const STOP_GRACE_MS = 1_000;

export interface ThreadPoolOptions {
  sink: LogSink;
  host: HostInit;
  /** Nodes one thread runs at most. */
  nodesPerThread: number;
}

interface Thread {
  worker: Worker;
  /** Nodes placed here and not yet gone: id -> what their Running listens with. */
  nodes: Map<string, Listener>;
  closing: boolean;
  lastError: string | null;
}

interface Listener {
  onMessage(m: FromHost): void;
  onThreadExit(reason: string): void;
}

/**
 * Built-in nodes packed a few to a worker thread (runtime/host.ts). Each
 * node is still a slot of its own to the supervisor: launched, stopped,
 * restarted one by one; only a crash, which ends its thread, ends its
 * thread-mates too, and each is restarted by its own slot. A thread left
 * with no node is ended.
 */
export function createThreadPool(opts: ThreadPoolOptions) {
  const threads: Thread[] = [];

  const spawn = (): Thread => {
    const t: Thread = { worker: new Worker(HOST_WORKER_URL, { workerData: opts.host }), nodes: new Map(), closing: false, lastError: null };
    t.worker.on("message", (m: FromHost) => t.nodes.get(m.id)?.onMessage(m));
    t.worker.on("error", (e: Error) => {
      t.lastError = e?.message ?? String(e);
    });
    t.worker.on("exit", (code: number) => {
      t.closing = true;
      const i = threads.indexOf(t);
      if (i >= 0) threads.splice(i, 1);
      const reason = t.lastError ?? `worker exited with code ${code}`;
      for (const l of [...t.nodes.values()]) l.onThreadExit(reason);
      t.nodes.clear();
    });
    threads.push(t);
    return t;
  };

  const place = (): Thread => threads.find((t) => !t.closing && t.nodes.size < opts.nodesPerThread) ?? spawn();

  const leave = (t: Thread, id: string) => {
    t.nodes.delete(id);
    if (t.nodes.size === 0 && !t.closing) {
      t.closing = true;
      void t.worker.terminate();
    }
  };

  /** The launcher of one node; `onState` gets each state it exports. */
  const launcherFor = (
    id: string,
    init: WorkerInit,
    onState?: (s: PersistedState) => void,
    onWire?: (records: WireRecord[], dropped: number) => void,
  ): Launcher => {
    let lastState: PersistedState | undefined = init.state;
    const keep = (s: PersistedState) => {
      lastState = s;
      onState?.(s);
    };
    return {
      launch(hooks: { onHealth(h: RunnerHealth): void }): Running {
        const t = place();
        const post = (m: ToHost) => {
          try {
            t.worker.postMessage(m);
          } catch {
            // The thread is already gone; its exit tells the rest.
          }
        };
        let stopRequested = false;
        let resolveEnded!: (v: { crashed: boolean; reason: string }) => void;
        const ended = new Promise<{ crashed: boolean; reason: string }>((r) => (resolveEnded = r));
        let over = false;
        const end = (crashed: boolean, reason: string) => {
          if (over) return;
          over = true;
          leave(t, id);
          resolveEnded({ crashed, reason });
        };
        t.nodes.set(id, {
          onMessage(m) {
            if ("done" in m) return end(false, "stopped");
            switch (m.m.type) {
              case "log":
                opts.sink.write(m.m.line);
                return;
              case "health":
                if (m.m.state) keep(m.m.state);
                hooks.onHealth(m.m.health);
                return;
              case "wire":
                onWire?.(m.m.records, m.m.dropped);
                return;
              case "stopped":
                if (m.m.state) keep(m.m.state);
                if (m.m.health) hooks.onHealth(m.m.health);
                return;
            }
          },
          onThreadExit(reason) {
            end(!stopRequested || t.lastError !== null, reason);
          },
        });
        post({ type: "start", id, init: { ...init, ...(lastState ? { state: lastState } : {}) } });
        return {
          ended,
          async stop(boundMs) {
            stopRequested = true;
            post({ type: "stop", id, boundMs });
            // A node that does not stop in time is given up on; its thread ends with its last node.
            if (!(await endsWithin(ended, boundMs + STOP_GRACE_MS))) end(false, "stop bound exceeded");
          },
          crash(onBody) {
            post(onBody === undefined ? { type: "crash", id } : { type: "crash", id, onBody });
          },
        };
      },
    };
  };

  return {
    launcherFor,
    /** Threads running now. */
    threads: () => threads.length,
  };
}
