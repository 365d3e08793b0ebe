/**
 * A fleet past `threads.pack_above`: its `node`s share worker threads and
 * the embedded SQS has a thread of its own. Seen from outside, as a user
 * would: every node runs and answers, a crash ends its thread and brings
 * its thread-mates back with it, and an SQS outage is survived.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botNodes, envelope, FAST_TIMING, fleetFile, queueName, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const NODES = ["node-a", "node-b", "node-c", "node-d"];
// Packed from 2 built-in nodes on, 2 to a thread: node-a and node-b share one, node-c and node-d another.
const FLEET = fleetFile(
  [...botNodes(["bot-alpha"]), ...NODES.map((id) => `{ id: ${id}, persona: node }`)],
  [FAST_TIMING, "threads: { pack_above: 2, nodes_per_thread: 2 }"],
);
const LEDGER = "ledger";

let f: FleetProc;

describe("nodes sharing threads", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    await f.createQueue(queueName(LEDGER));
  }, 30_000);

  afterAll(() => f?.kill());

  test("every node runs and comes to see every other alive", async () => {
    await until("all see all", 30_000, async () => {
      const h = await f.health();
      return h.nodes.every((n) => n.state === "running" && n.peers.filter((p) => p.status === "alive").length >= NODES.length);
    });
  }, 40_000);

  test.each(NODES)("%s answers a PING with a PONG of the same seq", async (id) => {
    await f.send(id, { ...envelope("PING", LEDGER, `ping-${id}`), seq: 4242 });
    const pong = await until(`PONG from ${id}`, 10_000, async () => (await f.drain(LEDGER, 1)).find((m) => m.type === "PONG" && m.sender === id));
    expect(pong.seq).toBe(4242);
  }, 15_000);

  test("a crash of one node ends its thread: it and its thread-mate restart, the others run on", async () => {
    const before = new Map((await f.health()).nodes.map((n) => [n.id, n.restarts]));
    expect((await f.post("/debug/crash/node-a")).status).toBe(202);
    const after = await until("node-a restarted and running", 20_000, async () => {
      const h = await f.health();
      const a = h.nodes.find((n) => n.id === "node-a")!;
      return a.restarts > before.get("node-a")! && h.nodes.every((n) => n.state === "running") && h;
    });
    const restarted = after.nodes.filter((n) => n.restarts > before.get(n.id)!).map((n) => n.id).sort();
    // Which node shares node-a's thread depends on start order; exactly one other node went down with it.
    expect(restarted).toContain("node-a");
    expect(restarted.length).toBe(2);
    expect(restarted).not.toContain("bot-alpha");
  }, 30_000);

  test("an outage of the embedded SQS, in its own thread, is survived", async () => {
    expect((await f.post("/debug/sqs/stop")).ok).toBe(true);
    await until("some node degraded", 20_000, async () => (await f.health()).nodes.some((n) => n.state === "degraded"));
    expect((await f.post("/debug/sqs/start")).ok).toBe(true);
    await until("all running again", 40_000, async () => (await f.health()).nodes.every((n) => n.state === "running"));
  }, 70_000);
});
