/**
 * One built-in node inside a worker thread, whichever entry started the
 * thread: a thread of its own (worker.ts) or one shared with others
 * (host.ts). Its log lines, health, wire records and state go out through `post`.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import pino from "pino";
import { LIMITS } from "../core/config.ts";
import { createNodeRunner } from "./node-runner.ts";
import { createSeenJournal } from "./seen-journal.ts";
import type { FromWorker, WorkerInit } from "./worker-messages.ts";
import { createWireRecorder } from "./wire-recorder.ts";

/** Exit code of a crash requested in the middle of a batch. */
const MID_BATCH_CRASH_EXIT_CODE = 70;

/** What runs one node inside a thread: its runner, its health and state reports, its stop. */
export interface HostedNode {
  /** Stops within the bound, posts `stopped`, then calls `done`. */
  stop(boundMs: number): void;
  /** The first message whose body contains this text ends the thread mid-batch (debug). */
  crashOn(text: string): void;
}

/**
 * Runs one node with `post` as its channel to the supervisor. `client` is
 * an SQS client shared by the nodes of one thread; unset, the node makes
 * its own. A crash (a bug, or the debug route) ends the whole thread: a
 * thread that threw is not trusted to go on.
 */
export function hostNode(init: WorkerInit, post: (m: FromWorker) => void, done: () => void, client?: SQSClient): HostedNode {
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
  const runner = createNodeRunner({
    config: init.config,
    sqs: init.sqs,
    logger,
    state: init.state,
    onReceive,
    ...(seenJournal ? { seenJournal } : {}),
    ...(wire ? { wire } : {}),
    ...(client === undefined ? {} : { client }),
  });
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
  void runner.start().catch((err) => {
    // start() reports SQS trouble itself; anything else is a bug and ends this thread, to be restarted.
    setTimeout(() => {
      throw err;
    }, 0);
  });
  return {
    crashOn(text) {
      crashOn = text;
    },
    stop(boundMs) {
      if (stopping) return;
      stopping = true;
      clearInterval(healthTimer);
      void runner
        .stop(boundMs)
        .catch((err) => logger.child({ node: init.config.id }).error({ error: String(err) }, "stop failed"))
        .finally(() => {
          postWire();
          post({ type: "stopped", health: runner.health(), state: runner.exportState() });
          done();
        });
    },
  };
}

/** Thrown outside any handler, as a real bug would be: the supervisor sees an error and an exit. */
export function crashThread(id: string): void {
  setTimeout(() => {
    throw new Error(`crash of ${id} requested through the debug route`);
  }, 0);
}
