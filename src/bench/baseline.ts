import { endsWithin, sleep } from "../sqs/backoff.ts";
import { countIn as count, emptyTransportCounters, type TransportCounters } from "../sqs/counters.ts";
import { classifySqsError } from "../sqs/errors.ts";
import { deleteMessage, receiveMessages, sendMessage, type Received } from "../sqs/messages.ts";
import type { Transport, TransportOptions, TransportState } from "../sqs/transport.ts";

/** The notebook's receive wait, s (`receive(..., wait_seconds=3)`). */
export const NOTEBOOK_WAIT_TIME_SECONDS = 3;
/** Sends waiting behind the one in flight; beyond it they are dropped. */
const NOTEBOOK_PENDING_MAX = 10_000;

/**
 * The transport the lab notebook's cells amount to, kept only as the
 * benchmark's baseline: one SendMessage per message, one at a time;
 * ReceiveMessage with a 3 s wait; one DeleteMessage per message, done while
 * reading, before the message is handled (as `receive(delete=True)` does).
 */
export function createNotebookTransport(opts: TransportOptions): Transport {
  const c = emptyTransportCounters();
  const waitTimeSeconds = opts.waitTimeSeconds ?? NOTEBOOK_WAIT_TIME_SECONDS;
  let state: TransportState = "idle";
  const stopper = new AbortController();
  let loop: Promise<void> | null = null;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;

  async function run(): Promise<void> {
    while (!stopper.signal.aborted) {
      count(c.requests, "ReceiveMessage");
      let messages: Received[];
      try {
        messages = await receiveMessages(opts.client, opts.queueUrl, waitTimeSeconds, stopper.signal);
      } catch (err) {
        if (stopper.signal.aborted) break;
        count(c.errors, classifySqsError(err));
        await sleep(1000, stopper.signal);
        continue;
      }
      for (const m of messages) {
        c.messagesReceived++;
        count(c.requests, "DeleteMessage");
        try {
          await deleteMessage(opts.client, opts.queueUrl, m.receiptHandle);
          c.messagesDeleted++;
        } catch (err) {
          count(c.errors, classifySqsError(err));
        }
        try {
          // The notebook deleted first: what the handling causes is done as far as this way goes.
          await opts.handle(m.body, { receiveCount: 1, onDone: (fn) => fn(), onLost: () => {} });
        } catch {
          count(c.errors, "handler");
        }
      }
    }
  }

  return {
    start() {
      if (state !== "idle") return;
      state = "running";
      loop = run();
    },
    send(queueUrl, body) {
      if (state === "stopped" || pending >= NOTEBOOK_PENDING_MAX) return false;
      pending++;
      chain = chain.then(async () => {
        count(c.requests, "SendMessage");
        try {
          await sendMessage(opts.client, queueUrl, body);
          c.messagesSent++;
        } catch (err) {
          count(c.errors, classifySqsError(err));
        } finally {
          pending--;
        }
      });
      return true;
    },
    replay(sends, onDone) {
      // The notebook's way keeps no outbox: what it replays is sent as new, and counts as done.
      for (const s of sends) this.send(s.queueUrl, s.body);
      onDone();
    },
    async stop(boundMs = 5000) {
      state = "stopping";
      stopper.abort();
      const clean = await endsWithin(Promise.all([loop, chain]), boundMs);
      state = "stopped";
      return { sendsDropped: 0, inputsLeft: {}, clean };
    },
    counters: (): TransportCounters => ({ ...c, requests: { ...c.requests }, errors: { ...c.errors } }),
    state: () => state,
  };
}
