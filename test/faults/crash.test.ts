/**
 * Crashes against a running fleet: a worker that dies holding a received
 * batch loses none of it (a ledger of PING seqs against their PONGs), and a
 * node that keeps crashing ends `failed` while the others run on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { botNodes, envelope, fleetFile, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const LEDGER = "ledger";
const PINGS = 30;
/** Seconds before a taken, undeleted message is visible again: the queue default (30) would make the test wait. */
const VISIBILITY_S = 2;

const FLEET = fleetFile([...botNodes(), "{ id: node-delta, persona: node }"]);

let f: FleetProc;
const pongs = new Map<string, number>();

async function collect(): Promise<void> {
  for (const m of await f.drain(LEDGER, 0)) {
    if (m.type === "PONG") pongs.set(`${m.sender}:${m.seq}`, (pongs.get(`${m.sender}:${m.seq}`) ?? 0) + 1);
  }
}

describe("crashes", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    await f.createQueue(queueName(LEDGER));
    await until("every node running", 15_000, async () => (await f.health()).nodes.every((n) => n.state === "running"));
  }, 30_000);

  afterAll(() => f?.kill());

  test("a worker killed while holding a received batch: after the restart every message is handled, and once", async () => {
    await f.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl("bot-bravo"), Attributes: { VisibilityTimeout: String(VISIBILITY_S) } }));
    // The crash comes on the 5th PING of a batch of 10: four handled (their PONGs not yet sent), five not yet.
    const res = await f.post("/debug/crash/bot-bravo?on=crash-here");
    expect(res.status).toBe(202);
    const bodies = Array.from({ length: PINGS }, (_, i) => ({ ...envelope("PING", LEDGER, i === 4 ? "crash-here" : `led-${i}`), seq: i }));
    await f.sendMany("bot-bravo", bodies);

    // Restarting lasts one backoff (1 s): a starved poll may only see the restart that followed it.
    await until("bot-bravo crashed", 10_000, async () => {
      const n = await f.node("bot-bravo");
      return n.state === "restarting" || n.restarts >= 1;
    }, 20);
    // Nobody else reads bot-bravo's queue: what is in flight now, the dead worker had taken and not deleted.
    const held = await f.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl("bot-bravo"), AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }),
    );
    expect(Number(held.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBeGreaterThanOrEqual(1);
    const bravo = await until("bot-bravo restarted", 15_000, async () => {
      const n = await f.node("bot-bravo");
      return n.restarts === 1 && n.state === "running" && n;
    });
    expect(bravo.restarts).toBe(1);
    expect(f.logs().some((o) => String(o.msg).includes("bot-bravo crashed (worker exited with code 70)"))).toBe(true);

    await until(`a PONG for each of the ${PINGS} PINGs`, 20_000, async () => {
      await collect();
      return Array.from({ length: PINGS }, (_, i) => pongs.has(`bot-bravo:${i}`)).every(Boolean);
    });
    // Time for a late second answer, were any message handled twice: beyond one more visibility timeout.
    await Bun.sleep((VISIBILITY_S + 1) * 1000);
    await collect();
    const lost = Array.from({ length: PINGS }, (_, i) => i).filter((i) => !pongs.has(`bot-bravo:${i}`));
    const twice = [...pongs].filter(([k, n]) => k.startsWith("bot-bravo:") && n > 1).map(([k]) => k);
    expect({ lost, twice }).toEqual({ lost: [], twice: [] });
  }, 45_000);

  test("a crash loop ends in failed; the other nodes run on undisturbed", async () => {
    const before = await f.health();
    const restartsOf = (h: typeof before) => Object.fromEntries(h.nodes.map((n) => [n.id, n.restarts]));
    let alphaSeq = 1000;
    for (let crash = 1; crash <= 5; crash++) {
      await until(`node-delta up before crash ${crash}`, 20_000, async () => (await f.node("node-delta")).state === "running", 50);
      expect((await f.post("/debug/crash/node-delta")).status).toBe(202);
      await until(`node-delta down after crash ${crash}`, 5_000, async () => (await f.node("node-delta")).state !== "running", 20);
      // Meanwhile bot-alpha answers as always.
      await f.send("bot-alpha", { ...envelope("PING", LEDGER, `alpha-${crash}`), seq: ++alphaSeq });
    }
    const delta = await until("node-delta failed", 10_000, async () => {
      const n = await f.node("node-delta");
      return n.state === "failed" && n;
    });
    expect(delta.restarts).toBe(4);
    expect(f.logs().some((o) => String(o.msg).includes("node-delta crashed 5 times"))).toBe(true);

    await until("bot-alpha answered every PING sent during the loop", 10_000, async () => {
      await collect();
      return Array.from({ length: 5 }, (_, i) => pongs.has(`bot-alpha:${1001 + i}`)).every(Boolean);
    });
    const after = await f.health();
    const others = after.nodes.filter((n) => n.id !== "node-delta");
    expect(others.map((n) => [n.id, n.state])).toEqual([
      ["bot-alpha", "running"],
      ["bot-bravo", "running"],
      ["bot-charlie", "running"],
    ]);
    const { ["node-delta"]: _d, ...othersBefore } = restartsOf(before);
    const { ["node-delta"]: _e, ...othersAfter } = restartsOf(after);
    expect(othersAfter).toEqual(othersBefore);
    // Failed and left down, its queue keeps what is sent to it.
    await f.send("node-delta", { ...envelope("PING", LEDGER, "to-the-failed"), seq: 1 });
    await Bun.sleep(500);
    expect(await f.depth(queueName("node-delta"))).toBeGreaterThanOrEqual(1);
    expect((await f.node("node-delta")).state).toBe("failed");
  }, 60_000);
});
