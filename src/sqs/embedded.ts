import { buildApp } from "fauxqs";
import { DEFAULT_SQS_PORT } from "../core/settings.ts";

/** Loopback only: the embedded SQS has no authentication, so it must not face the network. */
export const DEFAULT_SQS_HOST = "127.0.0.1";

/** The embedded SQS could not take its port; says which port and what to do. */
export class SqsPortInUseError extends Error {
  override readonly name = "SqsPortInUseError";
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `Port ${port} on ${host} is already in use, so the embedded SQS cannot start. ` +
        `Stop whatever uses it (another fleet, LocalStack?) or pick another port with ` +
        `--sqs-port N or network.port in fleet.yaml.`,
    );
  }
}

/** Any other failure to start the embedded SQS, in one line. */
export class SqsStartError extends Error {
  override readonly name = "SqsStartError";
}

export interface EmbeddedSqsOptions {
  /** Default network.port's (core/settings.ts); 0 picks a free port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/**
 * Sees, on the server's side of the edge, what the embedded SQS took and
 * let go: every message it accepted (SendMessage, each entry of a
 * SendMessageBatch it answered as successful), every message it handed out
 * (ReceiveMessage) and every receipt it deleted. A ledger built on this
 * does not depend on what the nodes count, whose counters restart with
 * each crashed worker. Called after the store changed and before the
 * answer leaves: a message counts as accepted even if the answer never
 * reaches the client (an outage cuts the connection), as in Amazon SQS.
 * Must not throw. Only for the SQS in the caller's thread: a recorder cannot
 * cross to startEmbeddedSqsThread's.
 */
export interface SqsRecorder {
  accepted(queueName: string, body: string): void;
  received(queueName: string, receiptHandle: string, body: string): void;
  deleted(queueName: string, receiptHandle: string): void;
}

export interface EmbeddedSqs {
  readonly host: string;
  readonly port: number;
  /** What an SDK's `endpoint` (boto3's `endpoint_url`) should be set to. */
  readonly endpoint: string;
  stop(): Promise<void>;
  /**
   * An outage: stops listening and drops open connections, keeping every
   * queue and message, as Amazon SQS keeps them while unreachable.
   */
  pause(): Promise<void>;
  /** Listens again on the same host and port after pause(). */
  resume(): Promise<void>;
}

/**
 * Starts fauxqs in this process. Its own `startFauxqs()` always listens on
 * 0.0.0.0, so the app is built with `buildApp()` and bound here to loopback.
 * Queue URLs it hands out look like
 * `http://sqs.<region>.localhost:<port>/000000000000/<name>`; it finds a queue
 * by region and name alone, so AWS-form URLs work against it unchanged.
 */
export async function startEmbeddedSqs(opts: EmbeddedSqsOptions = {}, recorder?: SqsRecorder): Promise<EmbeddedSqs> {
  const host = opts.host ?? DEFAULT_SQS_HOST;
  const wantedPort = opts.port ?? DEFAULT_SQS_PORT;
  const app = buildApp({ logger: false, host: "localhost" });
  if (recorder) {
    // Fastify's own hook, on every answer fauxqs gives as an object (its SQS answers all are).
    app.addHook("preSerialization", async (request: { headers: Record<string, unknown>; body: unknown }, reply: { statusCode: number }, payload: unknown) => {
      const target = request.headers["x-amz-target"];
      if (reply.statusCode === 200 && typeof target === "string" && target.startsWith("AmazonSQS.")) {
        recordAnswer(recorder, target.slice("AmazonSQS.".length), request.body, payload);
      }
      return payload;
    });
  }
  let address: string;
  try {
    address = await app.listen({ port: wantedPort, host });
  } catch (err) {
    await app.close().catch(() => {});
    const code = (err as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new SqsPortInUseError(host, wantedPort);
    if (code === "EACCES") {
      throw new SqsStartError(`Not allowed to listen on ${host}:${wantedPort}; pick a port above 1023 with --sqs-port N.`);
    }
    throw new SqsStartError(`The embedded SQS could not start on ${host}:${wantedPort}: ${(err as Error).message}`);
  }
  const port = Number(new URL(address).port);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    const p = stopped ?? app.close().then(() => undefined);
    stopped = p;
    return p;
  };
  const server = app.server;
  let paused = false;
  return {
    host,
    port,
    endpoint: `http://${host}:${port}`,
    stop,
    async pause() {
      if (paused) return;
      paused = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Long polls in progress would otherwise keep the server half alive.
      server.closeAllConnections();
      await closed;
    },
    async resume() {
      if (!paused) return;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      paused = false;
    },
  };
}

/** The embedded SQS answered its inspection endpoint with an error status. */
export class SqsInspectError extends Error {
  override readonly name = "SqsInspectError";
  constructor(readonly status: number) {
    super(`the embedded SQS answered ${status} to the queue inspection`);
  }
}

/** Where a message stands in a queue of the embedded SQS. */
export type InspectedWhere = "ready" | "inflight" | "delayed";

interface InspectResponse {
  messages?: {
    ready?: Array<{ body?: string }>;
    delayed?: Array<{ body?: string }>;
    inflight?: Array<{ message?: { body?: string } }>;
  };
}

/**
 * Every message of one queue of the embedded SQS, through its read-only
 * inspection endpoint: nothing is received, so nothing changes. Null when
 * there is no such queue; throws when nothing answers, and an
 * SqsInspectError for an error status.
 */
export async function inspectEmbeddedQueue(
  endpoint: string,
  queueName: string,
  timeoutMs = 5_000,
): Promise<Array<{ body: string; where: InspectedWhere }> | null> {
  const res = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status === 404) return null;
  if (!res.ok) throw new SqsInspectError(res.status);
  const data = (await res.json()) as InspectResponse;
  const out: Array<{ body: string; where: InspectedWhere }> = [];
  const add = (body: string | undefined, where: InspectedWhere) => {
    if (typeof body === "string") out.push({ body, where });
  };
  for (const m of data.messages?.ready ?? []) add(m.body, "ready");
  for (const m of data.messages?.inflight ?? []) add(m.message?.body, "inflight");
  for (const m of data.messages?.delayed ?? []) add(m.body, "delayed");
  return out;
}

/** The queue's name: the last segment of its URL, whatever its host and account (how fauxqs finds it too). */
const queueNameOf = (url: unknown) => (typeof url === "string" ? url.slice(url.lastIndexOf("/") + 1) : "");

type Json = Record<string, unknown>;
const asJson = (x: unknown): Json => (x !== null && typeof x === "object" ? (x as Json) : {});
const listOf = (x: unknown): Json[] => (Array.isArray(x) ? x.map(asJson) : []);
const successfulIds = (answer: Json) => new Set(listOf(answer.Successful).map((e) => String(e.Id)));

/** One SQS answer of the JSON protocol (the only one fauxqs speaks for SQS), as the recorder sees it. */
function recordAnswer(recorder: SqsRecorder, action: string, requestBody: unknown, payload: unknown): void {
  const req = asJson(requestBody);
  const answer = asJson(payload);
  const queue = queueNameOf(req.QueueUrl);
  switch (action) {
    case "SendMessage":
      if (typeof req.MessageBody === "string" && typeof answer.MessageId === "string") recorder.accepted(queue, req.MessageBody);
      return;
    case "SendMessageBatch": {
      const ok = successfulIds(answer);
      for (const e of listOf(req.Entries)) if (ok.has(String(e.Id)) && typeof e.MessageBody === "string") recorder.accepted(queue, e.MessageBody);
      return;
    }
    case "ReceiveMessage":
      for (const m of listOf(answer.Messages)) {
        if (typeof m.ReceiptHandle === "string") recorder.received(queue, m.ReceiptHandle, typeof m.Body === "string" ? m.Body : "");
      }
      return;
    case "DeleteMessage":
      if (typeof req.ReceiptHandle === "string") recorder.deleted(queue, req.ReceiptHandle);
      return;
    case "DeleteMessageBatch": {
      const ok = successfulIds(answer);
      for (const e of listOf(req.Entries)) if (ok.has(String(e.Id)) && typeof e.ReceiptHandle === "string") recorder.deleted(queue, e.ReceiptHandle);
      return;
    }
  }
}
