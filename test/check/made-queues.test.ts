/**
 * The queues a check created, on the embedded SQS: created only where no
 * queue had the name, deleted exactly (never another party's), once, and
 * listed for a stop by signal until they are gone.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { CheckCannotRun } from "../../src/check/local.ts";
import { deleteEveryMadeQueue, deletionLine, madeQueues, queuesNotDeleted, type DeleteOutcome } from "../../src/check/made-queues.ts";
import { deleteNodeQueue, listQueues } from "../../src/sqs/queues.ts";
import { queueName } from "../support/network.ts";
import { local, NET, type Local } from "../sqs/helpers.ts";

let sqs: Local;
const names = async () => (await listQueues(sqs.client, `${NET.prefix}-node-`)).map((q) => q.name);
const made = () => madeQueues(sqs.client, sqs.opts, NET);

beforeAll(async () => {
  sqs = await local();
});
afterAll(async () => {
  await sqs.close();
});
beforeEach(async () => {
  for (const n of await names()) await deleteNodeQueue(sqs.client, NET, n.slice(`${NET.prefix}-node-`.length, -"-p2p".length));
  // The fleet's own queue, which no check may touch.
  await sqs.queue("hugo");
});

test("creates the queues asked for and deletes exactly those, once: the others stay", async () => {
  const m = made();
  await m.create(["chkt0-hello", "chkt0-pinger"]);
  expect(await names()).toEqual([queueName("chkt0-hello"), queueName("chkt0-pinger"), queueName("hugo")]);
  expect(queuesNotDeleted()).toEqual([queueName("chkt0-hello"), queueName("chkt0-pinger")]);
  const first = await m.deleteAll();
  expect(first).toEqual({ deleted: [queueName("chkt0-hello"), queueName("chkt0-pinger")], left: [], why: null });
  expect(await names()).toEqual([queueName("hugo")]);
  // Deleted once: a second call (the check's end after a signal's) gets the same outcome, and the process lists nothing.
  expect(await m.deleteAll()).toBe(first);
  expect(queuesNotDeleted()).toEqual([]);
  expect(await deleteEveryMadeQueue()).toEqual({ deleted: [], left: [], why: null });
});

test("a name that exists already is refused, never taken over: nothing is created, and the queue outlives the deletion", async () => {
  await sqs.queue("chkt1-hello");
  const m = made();
  const err = await m.create(["chkt1-hello", "chkt1-lister"]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CheckCannotRun);
  expect((err as Error).message).toContain(`exist already and are not its own to delete: ${queueName("chkt1-hello")}`);
  expect(await names()).toEqual([queueName("chkt1-hello"), queueName("hugo")]);
  expect(await m.deleteAll()).toEqual({ deleted: [], left: [], why: null });
  expect(await names()).toEqual([queueName("chkt1-hello"), queueName("hugo")]);
});

test("a stop while the names are looked up: no queue is created after it", async () => {
  const m = made();
  const creating = m.create(["chkt2-hello", "chkt2-lister"]).catch((e: unknown) => e);
  const outcome = await deleteEveryMadeQueue();
  expect(await creating).toBeInstanceOf(CheckCannotRun);
  expect(outcome).toEqual({ deleted: [], left: [], why: null });
  expect(await names()).toEqual([queueName("hugo")]);
});

test("an SQS that is down: every queue is named as left, with why, within the bound", async () => {
  const m = made();
  await m.create(["chkt3-hello", "chkt3-silent"]);
  await sqs.sqs.pause();
  let outcome: DeleteOutcome;
  try {
    outcome = await m.deleteAll(1_000);
  } finally {
    await sqs.sqs.resume();
  }
  expect(outcome.deleted).toEqual([]);
  expect(outcome.left).toEqual([queueName("chkt3-hello"), queueName("chkt3-silent")]);
  expect(outcome.why).not.toBeNull();
  expect(await names()).toEqual([queueName("chkt3-hello"), queueName("chkt3-silent"), queueName("hugo")]);
});

test.each([
  ["none created", { deleted: [], left: [], why: null }, null],
  ["one deleted", { deleted: ["q-a"], left: [], why: null }, "fleet check deleted the 1 queue it created: q-a"],
  ["all deleted", { deleted: ["q-a", "q-b"], left: [], why: null }, "fleet check deleted the 2 queues it created: q-a, q-b"],
  [
    "some left",
    { deleted: ["q-a"], left: ["q-b", "q-c"], why: "no answer from the SQS within 10 s" },
    "fleet check could not delete 2 of the 3 queues it created (no answer from the SQS within 10 s); delete them yourself: q-b, q-c",
  ],
] as const)("the line: %s", (_, outcome, line) => {
  expect(deletionLine({ deleted: [...outcome.deleted], left: [...outcome.left], why: outcome.why })).toBe(line);
});
