/**
 * The client's request bound: an endpoint that takes the request and never
 * answers makes it fail, as a network error the callers retry, instead of
 * leaving it (and the poll loop or the send behind it) waiting for ever.
 */
import { afterAll, expect, test } from "bun:test";
import { createServer, type Socket } from "node:net";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { closeSqsClient, createSqsClient } from "../../src/sqs/client.ts";
import { classifySqsError } from "../../src/sqs/errors.ts";

// Accepts connections and reads requests, never writes a byte back.
const held: Socket[] = [];
const silent = createServer((s) => void held.push(s));
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const port = (silent.address() as { port: number }).port;

afterAll(() => {
  for (const s of held) s.destroy();
  silent.close();
});

test("a request past requestTimeoutMs fails as a network error instead of hanging", async () => {
  const client = createSqsClient(
    { mode: "aws", endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: "x", secretAccessKey: "x" } },
    { requestTimeoutMs: 200 },
  );
  try {
    const err = await client.send(new GetQueueUrlCommand({ QueueName: "ds2032-node-hugo-p2p" })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(classifySqsError(err)).toBe("network");
    expect(held.length).toBeGreaterThan(0);
  } finally {
    closeSqsClient(client);
  }
});
