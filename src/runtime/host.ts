/**
 * The worker-thread entry of several built-in nodes at once: the fleet
 * packs the `node`s of a large fleet a few to a thread, so that one JS
 * heap, one copy of the loaded code and one SQS client (with its pool of
 * sockets) serve them all. A thread costs tens of MB whatever it runs;
 * a node, a few. Each node still has its own runner, log lines, health,
 * state and stop; a crash, as in a thread of its own, ends the thread, and
 * its thread-mates are restarted with it.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { createSqsClient } from "../sqs/client.ts";
import { crashThread, hostNode, type HostedNode } from "./hosted-node.ts";
import type { FromHost, HostInit, ToHost } from "./worker-messages.ts";

/** Long-poll wait of the runners (node-runner's default), s: the shared client's request timeout must exceed it. */
const WAIT_TIME_S = 20;

function main(): void {
  const port = parentPort!;
  const { sqs, socketsMax } = workerData as HostInit;
  const client = createSqsClient(sqs, { requestTimeoutMs: (WAIT_TIME_S + 10) * 1000, socketsMax });
  const nodes = new Map<string, { node: HostedNode; debug: boolean }>();
  port.on("message", (msg: ToHost) => {
    switch (msg.type) {
      case "start": {
        if (nodes.has(msg.id)) return;
        const id = msg.id;
        const node = hostNode(
          msg.init,
          (m) => port.postMessage({ id, m } satisfies FromHost),
          () => {
            nodes.delete(id);
            port.postMessage({ id, done: true } satisfies FromHost);
          },
          client,
        );
        nodes.set(id, { node, debug: msg.init.debug });
        return;
      }
      case "stop":
        return nodes.get(msg.id)?.node.stop(msg.boundMs);
      case "crash": {
        const n = nodes.get(msg.id);
        if (!n?.debug) return;
        if (msg.onBody) return n.node.crashOn(msg.onBody);
        return crashThread(msg.id);
      }
    }
  });
}

if (!isMainThread && parentPort) main();
