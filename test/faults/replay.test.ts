/**
 * Duplicates and replays (docs/protocol.md §2, WIRE-4: at-least-once delivery is handled
 * once), against a running fleet: SQS may hand the same body over twice, and
 * anyone can put an old message back in a queue.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botNodes, envelope, fleetFile, queueName, queueUrl, startFleetProc, until, type FleetProc, type Msg } from "../support/fleet-proc.ts";

const BOT = "bot-alpha";
const REPLAYER = "replayer";
const GHOST = "ghost";

// Heartbeats of 0.2 s: a silent peer is dead after 1.2 s and forgotten 6 s later.
const FLEET = fleetFile(botNodes(), ["timing: { heartbeat: 0.2, gossip: 1, views: 0.5, audit: 1, epoch: 1, rechoke: 1, optimistic: 3 }"]);

let f: FleetProc;
const inbox: Record<string, Msg[]> = { [REPLAYER]: [], [GHOST]: [] };

async function collect(id: string): Promise<Msg[]> {
  inbox[id]!.push(...(await f.drain(id, 0)));
  return inbox[id]!;
}
const pongsFor = (id: string, seq: number) => inbox[id]!.filter((m) => m.type === "PONG" && m.sender === BOT && m.seq === seq).length;
const peerOf = async (id: string) => (await f.node(BOT)).peers.find((p) => p.id === id);

describe("duplicates and replays", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    await f.createQueue(queueName(REPLAYER));
    await f.createQueue(queueName(GHOST));
    await until("bot-alpha running", 15_000, async () => (await f.node(BOT)).state === "running");
  }, 30_000);

  afterAll(() => f?.kill());

  test("the same PING delivered twice is answered once", async () => {
    const before = (await f.node(BOT)).counters.duplicates ?? 0;
    const body = JSON.stringify({ ...envelope("PING", REPLAYER, "dup-ping-1"), seq: 5001 });
    await f.sendMany(BOT, [body, body]);
    await f.send(BOT, { ...envelope("PING", REPLAYER, "marker-1"), seq: 5002 });
    await until("the marker's PONG", 10_000, async () => (await collect(REPLAYER), pongsFor(REPLAYER, 5002) === 1));
    await until("the duplicate counted", 5_000, async () => ((await f.node(BOT)).counters.duplicates ?? 0) >= before + 1);
    // Sent after the copy was handled: a PONG the copy caused would have left before this one's.
    await f.send(BOT, { ...envelope("PING", REPLAYER, "marker-1b"), seq: 5012 });
    await until("the second marker's PONG", 10_000, async () => (await collect(REPLAYER), pongsFor(REPLAYER, 5012) === 1));
    expect(pongsFor(REPLAYER, 5001)).toBe(1);
  }, 20_000);

  test("the same HELLO delivered three times is handled once: two counted as duplicates", async () => {
    // PEER_LISTs cannot be told apart from gossip (the sender is a live peer by now): the counters tell.
    const sender = "hello-twice";
    await f.createQueue(queueName(sender));
    const before = await f.node(BOT);
    const body = JSON.stringify({ ...envelope("HELLO", sender, "dup-hello-1"), queue_url: queueUrl(sender) });
    await f.sendMany(BOT, [body, body, body]);
    const after = await until("two repeats counted", 10_000, async () => {
      const n = await f.node(BOT);
      return (n.counters.duplicates ?? 0) - (before.counters.duplicates ?? 0) === 2 && n;
    });
    expect(after.counters.in.HELLO! - before.counters.in.HELLO!).toBe(1);
    const answer = await until("its PEER_LIST", 5_000, async () => (await f.drain(sender, 0)).find((m) => m.type === "PEER_LIST" && m.sender === BOT));
    expect(answer.peers![0]!.node_id).toBe(BOT);
  }, 20_000);

  test("a view report replayed, as it was and under new msg_ids, counts as one vote", async () => {
    const ts = new Date().toISOString();
    const report = (msgId: string) => ({
      ...envelope("VIEW_EVENT", REPLAYER, msgId, ts),
      event_id: "replayed-event-1",
      content_id: "show:midnight-run",
      count: 1, // never the true count (100 or more): a disagreement each time it is counted
      ad_id: "ad-7",
    });
    const first = JSON.stringify(report("view-1"));
    await f.sendMany(BOT, [first, first, JSON.stringify(report("view-2")), JSON.stringify(report("view-3")), JSON.stringify(report("view-4"))]);
    const rep = await until("the replayer's report audited", 15_000, async () => {
      const p = await peerOf(REPLAYER);
      return p && p.reports > 0 ? p : null;
    });
    expect(rep.reports).toBe(1);
    expect(rep.disagree).toBe(1);
    // Replayed after its epoch was audited: no second vote either.
    const handled = (n: Awaited<ReturnType<typeof f.node>>) => (n.counters.duplicates ?? 0) + (n.counters.dropped?.stale_view_event ?? 0);
    const beforeReplay = await f.node(BOT);
    await f.sendMany(BOT, [first, JSON.stringify(report("view-5"))]);
    // view-1 again is a duplicate by its msg_id; view-5 by its event_id, or stale once its epoch is past.
    const replayedAt = await until("both replays handled", 10_000, async () => {
      const n = await f.node(BOT);
      return (n.counters.duplicates ?? 0) > (beforeReplay.counters.duplicates ?? 0) && handled(n) - handled(beforeReplay) >= 2 && Date.now();
    });
    // And an audit since, where a vote recorded by mistake would have been counted.
    await until("an audit after the replays", 10_000, async () => (await f.node(BOT)).audits.some((a) => Date.parse(a.at) > replayedAt));
    const again = (await peerOf(REPLAYER))!;
    expect([again.reports, again.agree]).toEqual([1, 0]);
    expect(again.disagree).toBeLessThanOrEqual(1);
  }, 25_000);

  test("an old PING replayed does not bring a dead, then forgotten, peer back", async () => {
    const ping = JSON.stringify({ ...envelope("PING", GHOST, "ghost-ping-1"), seq: 6001 });
    await f.send(BOT, ping);
    // Known, whatever its status by the time /health (about once a second) shows it: a silent peer is suspect within 0.6 s.
    await until("the ghost is a peer", 10_000, async () => (await peerOf(GHOST)) !== undefined);
    await until("the ghost is dead", 10_000, async () => (await peerOf(GHOST))?.status === "dead");
    const duplicates = async () => (await f.node(BOT)).counters.duplicates ?? 0;
    const beforeDead = await duplicates();
    await f.send(BOT, ping);
    // Handled (a duplicate by its msg_id) while the ghost is dead: it stays dead.
    await until("the replay handled", 10_000, async () => (await duplicates()) > beforeDead);
    expect((await peerOf(GHOST))?.status).toBe("dead");
    await until("the ghost is forgotten", 15_000, async () => (await peerOf(GHOST)) === undefined);
    const beforeForgotten = await duplicates();
    await f.send(BOT, ping);
    await until("the replay handled", 10_000, async () => (await duplicates()) > beforeForgotten);
    // Sent after the replay was handled: a PONG to the ghost would have left before this one.
    await f.send(BOT, { ...envelope("PING", REPLAYER, "marker-3"), seq: 5004 });
    await until("the marker's PONG", 10_000, async () => (await collect(REPLAYER), pongsFor(REPLAYER, 5004) === 1));
    expect(await peerOf(GHOST)).toBeUndefined();
    await collect(GHOST);
    // Answered once, when it was new.
    expect(pongsFor(GHOST, 6001)).toBe(1);
  }, 40_000);
});
