/**
 * What passes between the supervisor and the threads of built-in nodes: a
 * node's start-up data and the messages each way, for a thread of one node
 * (worker.ts) and for a thread shared by several (host.ts). Apart from both
 * entries, so that each side imports the other's shapes and none of its code.
 */
import type { PersistedState } from "../core/state.ts";
import type { SqsOptions } from "../sqs/client.ts";
import type { NodeConfig, RunnerHealth } from "./types.ts";
import type { WireRecord } from "./wire-record.ts";

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

/** A shared thread's start-up data (host.ts). */
export interface HostInit {
  sqs: SqsOptions;
  /** Sockets of the shared client: each node holds one for its long poll, and sends need their own. */
  socketsMax: number;
}

export type ToHost =
  | { type: "start"; id: string; init: WorkerInit }
  | { type: "stop"; id: string; boundMs: number }
  | { type: "crash"; id: string; onBody?: string };

/** A node's message to the supervisor, with its id; `done` once it stopped and left the thread. */
export type FromHost = { id: string; m: FromWorker } | { id: string; done: true };
