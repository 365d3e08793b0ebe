import type { SQSClient } from "@aws-sdk/client-sqs";

/**
 * Lets at most `max` requests of one client reach the HTTP agent at once.
 *
 * The SDK's connect timeout starts when a request is made, not when it gets
 * a socket: a request queued inside the agent behind `maxSockets` others (a
 * fleet's join, where each of a thread's nodes answers a hundred HELLOs at
 * once while its long polls hold their sockets) fails as "did not establish
 * a connection" though the endpoint is up. Waiting here instead costs no
 * timeout, and every request that gets through finds a socket free. The wait
 * is as long as the callers' own bounds allow: each waiter is a request some
 * bounded sender (a batcher's per-queue in-flight cap, a poll loop) issued.
 */
export class SocketGate {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most requests ever through at once, and most ever waiting: what the tests read. */
  peakInUse = 0;
  peakWaiting = 0;

  constructor(readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.inUse < this.max) {
      this.inUse++;
      this.peakInUse = Math.max(this.peakInUse, this.inUse);
      return;
    }
    // A place is handed over by release(): inUse already counts it when this resumes.
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.peakWaiting = Math.max(this.peakWaiting, this.waiting.length);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inUse--;
  }
}

const gates = new WeakMap<SQSClient, SocketGate>();

/** Puts a gate of `max` places in front of the client's HTTP handler (innermost, after signing). */
export function gateClient(client: SQSClient, max: number): SocketGate {
  const gate = new SocketGate(max);
  client.middlewareStack.add(
    (next) => async (args) => {
      await gate.acquire();
      try {
        return await next(args);
      } finally {
        gate.release();
      }
    },
    { step: "deserialize", priority: "low", name: "socketGate" },
  );
  gates.set(client, gate);
  return gate;
}

/** The client's gate, for tests and diagnostics. */
export function gateOf(client: SQSClient): SocketGate | undefined {
  return gates.get(client);
}
