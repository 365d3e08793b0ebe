/**
 * An SQS outage against a running fleet: the embedded SQS stops answering for
 * 15 s (POST /debug/sqs/stop) and comes back on the same port
 * (/debug/sqs/start), its queues and messages kept as Amazon's would be. The
 * nodes show degraded, back off instead of looping, and are healthy again
 * by themselves, without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { Health } from "../../src/fleet/health-types.ts";
import { BOTS, botNodes, envelope, fleetFile, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const OUTAGE_MS = 15_000;
const PROBER = "outage-prober";
/**
 * SQS requests one node may make in the 15 s: backoff from 200 ms doubling
 * to 20 s allows about 7 receives plus retried sends for its few peers; a
 * tight loop against a refused connection makes thousands.
 */
const REQUESTS_IN_OUTAGE_MAX = 150;

const FLEET = fleetFile(botNodes());

let f: FleetProc;
const requests = (h: Health) =>
  Object.fromEntries(h.nodes.map((n) => [n.id, Object.values(n.counters.sqs_requests).reduce((a, b) => a + b, 0)]));

describe("an outage of the embedded SQS", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    await f.createQueue(queueName(PROBER));
    await until("three bots running that know each other", 20_000, async () =>
      (await f.health()).nodes.every((n) => n.state === "running" && n.peers.filter((p) => p.status === "alive").length >= 2),
    );
  }, 30_000);

  afterAll(() => f?.kill());

  test("degraded during 15 s, backing off; healthy again afterwards without restarts; queues kept", async () => {
    // A message that waits through the outage in a queue nobody reads.
    await f.send(PROBER, "kept through the outage");
    const stop = await f.post("/debug/sqs/stop");
    expect(stop.status).toBe(200);
    const stoppedAt = Date.now();

    const degraded = await until("every bot degraded", 10_000, async () => {
      const h = await f.health();
      return h.nodes.every((n) => n.state === "degraded") && h;
    });
    // The count starts once all know: from there every request is one against a dead endpoint.
    const atDegraded = requests(degraded);
    await Bun.sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
    const atEnd = requests(await f.health());
    const during = Object.fromEntries(BOTS.map((b) => [b, atEnd[b]! - atDegraded[b]!]));
    for (const b of BOTS) expect([b, during[b]! <= REQUESTS_IN_OUTAGE_MAX]).toEqual([b, true]);
    // ...and they did keep trying (no node gave up).
    for (const b of BOTS) expect([b, during[b]! > 0]).toEqual([b, true]);
    expect((await f.health()).nodes.map((n) => n.state)).toEqual(["degraded", "degraded", "degraded"]);

    expect((await f.post("/debug/sqs/start")).status).toBe(200);
    const healthy = await until("every bot running again", 30_000, async () => {
      const h = await f.health();
      return h.nodes.every((n) => n.state === "running") && h;
    }, 200);
    expect(healthy.nodes.map((n) => n.restarts)).toEqual([0, 0, 0]);

    // They work again: each answers a PING, and the queue kept its message.
    for (const [i, b] of BOTS.entries()) await f.send(b, { ...envelope("PING", PROBER, `after-${i}`), seq: 100 + i });
    const got = new Set<string>();
    let kept = false;
    await until("a PONG from every bot", 15_000, async () => {
      const r = await f.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl(PROBER), MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const m of r.Messages ?? []) {
        if (m.Body === "kept through the outage") kept = true;
        else {
          const b = JSON.parse(m.Body!);
          if (b.type === "PONG") got.add(b.sender);
        }
      }
      return got.size === BOTS.length;
    });
    expect(kept).toBe(true);

    // Each node said so once, not once per failed request.
    for (const b of BOTS) {
      const lines = f.logs().filter((o) => o.node === b && Number(o.level) >= 40);
      expect([b, lines.length <= 6]).toEqual([b, true]);
      expect(lines.some((o) => o.msg === "SQS unreachable; retrying with backoff")).toBe(true);
    }
    expect(f.logs().filter((o) => o.msg === "SQS reachable again").length).toBeGreaterThanOrEqual(BOTS.length);
    // Figures for the report.
    console.log(`requests during the outage per node: ${JSON.stringify(during)}; back to running ${Math.round((Date.now() - stoppedAt) / 1000)} s after the stop`);
  }, 80_000);
});
