/**
 * The worker-thread entry of one built-in node: its config comes in as
 * workerData; its log lines, health and state go to the supervisor as
 * messages; a `stop` message stops it cleanly within its bound.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { PersistedState } from "../core/state.ts";
import type { SqsOptions } from "../sqs/client.ts";
import { crashThread, hostNode } from "./hosted-node.ts";
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

function main(): void {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const node = hostNode(init, (m) => port.postMessage(m), () => {
    // Open sockets of the SDK would keep the thread alive for seconds; the node is done.
    port.close();
    process.exit(0);
  });
  port.on("message", (m: ToWorker) => {
    if (m.type === "crash" && init.debug && m.onBody) return node.crashOn(m.onBody);
    if (m.type === "crash" && init.debug) return crashThread(init.config.id);
    if (m.type === "stop") node.stop(m.boundMs);
  });
}

if (!isMainThread && parentPort) main();
