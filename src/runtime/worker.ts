/**
 * The worker-thread entry of one built-in node: its config comes in as
 * workerData; its log lines, health and state go to the supervisor as
 * messages; a `stop` message stops it cleanly within its bound.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { crashThread, hostNode } from "./hosted-node.ts";
import type { ToWorker, WorkerInit } from "./worker-messages.ts";

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
