/**
 * The worker-thread entry of one built-in node: its config comes in as
 * workerData; its log lines, health and state go to the supervisor as
 * messages; a `stop` message stops it cleanly within its bound.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import type { PersistedState } from "../core/state.ts";
import type { SqsOptions } from "../sqs/client.ts";
import { LIMITS } from "../core/config.ts";
import { createNodeRunner } from "./node-runner.ts";
import { createSeenJournal } from "./seen-journal.ts";
import type { NodeConfig, RunnerHealth } from "./types.ts";
import type { WireRecord } from "./wire-record.ts";
import { createWireRecorder } from "./wire-recorder.ts";

export interface WorkerInit {
  config: NodeConfig;
  sqs: SqsOptions;
  /** pino level name. */
  logLevel: string;
  /** pino redact paths: credentials never reach a log line. */
  redactPaths: string[];
  /** How often health goes to the parent. */
  healthEveryMs: number;
  /** What the previous run of this node exported, so a restart keeps reputations and flags. */
  state?: PersistedState;
  /** Debug routes are on: a `crash` message makes the worker throw. */
  debug: boolean;
  /** How often the node's state goes to the parent, to be saved; default 5000. A crash loses at most this much. */
  stateEveryMs?: number;
  /** Messages sent and received recorded per health report for the fleet's timeline (the rest counted); default 0, none. */
  wirePerReportMax?: number;
  /** The node's seen journal (its dedupe memory across restarts and crashes); none when unset. */
  seenJournalPath?: string;
}

/**
 * `crash` without `onBody` throws outside any handler, as a real bug would;
 * with it, the worker dies on the first message whose body contains that
 * text, in the middle of handling the batch it received.
 */
export type ToWorker = { type: "stop"; boundMs: number } | { type: "crash"; onBody?: string };

export type FromWorker =
  | { type: "log"; line: string }
  | { type: "health"; health: RunnerHealth; state?: PersistedState }
  /** The messages recorded since the last report, and how many did not fit its bound. */
  | { type: "wire"; records: WireRecord[]; dropped: number }
  | { type: "stopped"; health: RunnerHealth | null; state?: PersistedState };

/** Exit code of a crash requested in the middle of a batch. */
const MID_BATCH_CRASH_EXIT_CODE = 70;

function main(): void {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const post = (m: FromWorker) => port.postMessage(m);

  const logger = pino(
    {
      level: init.logLevel,
      // The runner adds `node` to its lines; pid and hostname say nothing inside one fleet.
      base: undefined,
      redact: { paths: init.redactPaths, censor: "[Redacted]" },
    },
    // Synchronous: each line is one message to the parent, which joins them into the fleet's stream.
    { write: (line: string) => post({ type: "log", line }) },
  );

  // The text of the body to die on; null when no mid-batch crash is requested.
  let crashOn: string | null = null;
  const onReceive = (body: string): void => {
    if (crashOn === null || !body.includes(crashOn)) return;
    // Synchronous: nothing of this batch is deleted and nothing its handling queued is sent; SQS redelivers all of it.
    process.exit(MID_BATCH_CRASH_EXIT_CODE);
  };
  const wire = (init.wirePerReportMax ?? 0) > 0 ? createWireRecorder(init.config.id, init.wirePerReportMax!) : undefined;
  const postWire = () => {
    if (!wire) return;
    const { records, dropped } = wire.drain();
    if (records.length > 0 || dropped > 0) post({ type: "wire", records, dropped });
  };
  const seenJournal =
    init.seenJournalPath === undefined
      ? undefined
      : createSeenJournal({ path: init.seenJournalPath, windowMs: LIMITS.dedupeWindowMs, perTableMax: LIMITS.dedupeMax });
  const runner = createNodeRunner({ config: init.config, sqs: init.sqs, logger, state: init.state, onReceive, ...(seenJournal ? { seenJournal } : {}), ...(wire ? { wire } : {}) });
  const stateEveryMs = init.stateEveryMs ?? 5_000;
  let statePostedMs = Date.now();
  let eventsPosted = 0;
  const healthTimer = setInterval(() => {
    const now = Date.now();
    const health = runner.health();
    // A flag, a new peer or a status change goes over with the next report, so a crash right after cannot forget it.
    const lastEventMs = health.recentEvents.at(-1)?.atMs ?? 0;
    const withState = now - statePostedMs >= stateEveryMs || lastEventMs > eventsPosted;
    if (withState) {
      statePostedMs = now;
      eventsPosted = lastEventMs;
    }
    postWire();
    post({ type: "health", health, ...(withState ? { state: runner.exportState() } : {}) });
  }, init.healthEveryMs);
  post({ type: "health", health: runner.health() });

  let stopping = false;
  port.on("message", (m: ToWorker) => {
    if (m.type === "crash" && init.debug && m.onBody) {
      crashOn = m.onBody;
      return;
    }
    if (m.type === "crash" && init.debug) {
      // Thrown outside any handler, as a real bug would be: the supervisor sees an error and an exit.
      setTimeout(() => {
        throw new Error(`crash of ${init.config.id} requested through the debug route`);
      }, 0);
      return;
    }
    if (m.type === "stop" && !stopping) {
      stopping = true;
      clearInterval(healthTimer);
      void runner
        .stop(m.boundMs)
        .catch((err) => logger.child({ node: init.config.id }).error({ error: String(err) }, "stop failed"))
        .finally(() => {
          postWire();
          post({ type: "stopped", health: runner.health(), state: runner.exportState() });
          // Open sockets of the SDK would keep the thread alive for seconds; the node is done.
          port.close();
          process.exit(0);
        });
    }
  });

  void runner.start().catch((err) => {
    // start() reports SQS trouble itself; anything else is a bug and ends this worker, to be restarted.
    setTimeout(() => {
      throw err;
    }, 0);
  });
}

if (!isMainThread && parentPort) main();
