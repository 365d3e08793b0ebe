/**
 * The embedded SQS in a worker thread of its own. A large fleet's nodes
 * make hundreds of requests a second; served on the supervisor's thread,
 * they compete with its log stream, health and control endpoint, and
 * connections wait past their timeout. Same interface as startEmbeddedSqs.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { SqsPortInUseError, SqsStartError, startEmbeddedSqs, type EmbeddedSqs, type EmbeddedSqsOptions } from "./embedded.ts";

/** Marks the thread this module starts, should another thread import it. */
const ROLE = "embedded-sqs";

type Command = { op: "stop" | "pause" | "resume"; n: number };
type Reply =
  | { op: "listening"; host: string; port: number }
  | { op: "failed"; name: string; message: string; host: string; port: number }
  | { op: "done"; n: number; error?: string };

/** Starts the embedded SQS in its own thread; resolves once it listens, or rejects as startEmbeddedSqs would. */
export async function startEmbeddedSqsThread(opts: EmbeddedSqsOptions = {}): Promise<EmbeddedSqs> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, opts } });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let next = 0;
  const started = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    worker.once("error", (e: Error) => reject(new SqsStartError(`The embedded SQS thread failed: ${e.message}`)));
    worker.once("message", (m: Reply) => {
      if (m.op === "listening") resolve(m);
      else if (m.op === "failed") reject(m.name === "SqsPortInUseError" ? new SqsPortInUseError(m.host, m.port) : new SqsStartError(m.message));
    });
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  worker.on("message", (m: Reply) => {
    if (m.op !== "done") return;
    const p = pending.get(m.n);
    pending.delete(m.n);
    if (m.error === undefined) p?.resolve();
    else p?.reject(new Error(m.error));
  });
  const ask = (op: Command["op"]) =>
    new Promise<void>((resolve, reject) => {
      const n = next++;
      pending.set(n, { resolve, reject });
      worker.postMessage({ op, n } satisfies Command);
    });
  let stopped: Promise<void> | undefined;
  return {
    host: started.host,
    port: started.port,
    endpoint: `http://${started.host}:${started.port}`,
    stop: () =>
      (stopped ??= ask("stop")
        .catch(() => {})
        .then(async () => {
          await worker.terminate();
        })),
    pause: () => ask("pause"),
    resume: () => ask("resume"),
  };
}

async function main(): Promise<void> {
  const port = parentPort!;
  const { opts } = workerData as { opts: EmbeddedSqsOptions };
  let sqs: EmbeddedSqs;
  try {
    sqs = await startEmbeddedSqs(opts);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ op: "failed", name: err.name, message: err.message, host: opts.host ?? "127.0.0.1", port: opts.port ?? 4566 } satisfies Reply);
    return;
  }
  port.postMessage({ op: "listening", host: sqs.host, port: sqs.port } satisfies Reply);
  port.on("message", (c: Command) => {
    sqs[c.op]().then(
      () => port.postMessage({ op: "done", n: c.n } satisfies Reply),
      (e: unknown) => port.postMessage({ op: "done", n: c.n, error: e instanceof Error ? e.message : String(e) } satisfies Reply),
    );
  });
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === ROLE) void main();
