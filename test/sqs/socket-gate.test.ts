/**
 * A request that waits for a socket does not time out as "could not
 * connect": the client lets through only as many requests as it has
 * sockets, and the rest wait in its gate, where no connect timeout runs.
 * Against a real HTTP endpoint that answers each request after 150 ms, with
 * one socket and a 100 ms connect timeout.
 */
import { afterAll, expect, test } from "bun:test";
import { GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { closeSqsClient, createSqsClient } from "../../src/sqs/client.ts";
import { classifySqsError } from "../../src/sqs/errors.ts";
import { gateOf, SocketGate } from "../../src/sqs/socket-gate.ts";

const ANSWER_AFTER_MS = 150;
const slow = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch() {
    await Bun.sleep(ANSWER_AFTER_MS);
    return new Response(JSON.stringify({ QueueUrl: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-hugo-p2p" }), {
      headers: { "content-type": "application/x-amz-json-1.0" },
    });
  },
});
afterAll(() => slow.stop(true));

const clientOf = (gated: boolean): SQSClient => {
  const client = createSqsClient(
    { mode: "aws", endpoint: `http://127.0.0.1:${slow.port}`, credentials: { accessKeyId: "x", secretAccessKey: "x" } },
    { requestTimeoutMs: 5_000, socketsMax: 1, connectTimeoutMs: 100 },
  );
  if (!gated) client.middlewareStack.remove("socketGate");
  return client;
};

/** Four requests at once; what became of each. */
async function fourAtOnce(client: SQSClient): Promise<string[]> {
  const one = () =>
    client.send(new GetQueueUrlCommand({ QueueName: "ds2032-node-hugo-p2p" })).then(
      () => "ok",
      (e: unknown) => classifySqsError(e),
    );
  return Promise.all([one(), one(), one(), one()]);
}

test.each([
  { gated: true, expected: (r: string[]) => expect(r).toEqual(["ok", "ok", "ok", "ok"]) },
  // Without the gate the requests queued in the agent count their wait as connecting and fail.
  { gated: false, expected: (r: string[]) => expect(r).toContain("network") },
])("one socket, four requests answered 150 ms apart, gate $gated", async ({ gated, expected }) => {
  const client = clientOf(gated);
  try {
    expected(await fourAtOnce(client));
    if (gated) expect({ peakInUse: gateOf(client)!.peakInUse, peakWaiting: gateOf(client)!.peakWaiting }).toEqual({ peakInUse: 1, peakWaiting: 3 });
  } finally {
    closeSqsClient(client);
  }
});

test("the gate hands each freed place to the oldest waiter and never lets more than max through", async () => {
  const gate = new SocketGate(2);
  const order: number[] = [];
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      await gate.acquire();
      inside++;
      most = Math.max(most, inside);
      order.push(i);
      await Bun.sleep(1);
      inside--;
      gate.release();
    }),
  );
  expect(most).toBe(2);
  expect(order).toEqual([...Array(12).keys()]);
  expect({ peakInUse: gate.peakInUse, peakWaiting: gate.peakWaiting }).toEqual({ peakInUse: 2, peakWaiting: 10 });
});
