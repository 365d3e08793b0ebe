/**
 * `fleet check ID --aws` against a fleet running in AWS mode on moto, an SQS
 * independent of the embedded one, the check a real child process as a user
 * runs it: with --create-queues it makes its probes' queues, grades the node
 * and deletes them; without, it exits 2 naming the queues it would need.
 *
 * The fleet is `hugo` (persona node) alone, at a 1 s heartbeat: moto's cost of
 * every send and receive grows with the depth of the queue (it counts the
 * queue's messages on each), so a network that sends faster than moto drains
 * backs its queues up and every answer comes later (four nodes at 0.5 s on a
 * loaded machine: every node's queue 100 deep within seconds of the check's
 * start, 2,000 deep within five minutes, and no PONG within 30 s). The check's
 * probes are the rest of hugo's network.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { join } from "node:path";
import { PROBE_NAMES } from "../../src/check/make-session.ts";
import { CheckReport } from "../../src/check/types.ts";
import { fleetFile, queueName, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { motoEnv, motoPart, startMoto, type Moto } from "../support/moto.ts";
import { describeWith } from "../support/outside.ts";
import { runCheckCli, withVerdict } from "./helpers.ts";

const TIMING = "timing: { heartbeat: 1, gossip: 2, views: 1, audit: 2, epoch: 2, rechoke: 2, optimistic: 6 }";
const FLEET = fleetFile(["{ id: hugo, persona: node }"], [TIMING]).replace("network: { port: 0 }", "network: { sqs: aws }");

describeWith(motoPart())("fleet check on Amazon SQS (moto)", () => {
  let m: Moto;
  let f: FleetProc;
  let env: Record<string, string>;
  let reach: string[];

  /** Names of the queues on moto that start with `prefix`. */
  const queues = async (prefix: string) => {
    const r = await f.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    return (r.QueueUrls ?? []).map((u) => u.slice(u.lastIndexOf("/") + 1)).sort();
  };

  beforeAll(async () => {
    m = await startMoto();
    env = motoEnv(m);
    f = await startFleetProc(FLEET, { args: ["--create-queues"], env });
    expect(f.sqsEndpoint).toBe(m.endpoint);
    await until("hugo running", 20_000, async () => (await f.node("hugo")).state === "running");
    reach = ["--aws", "--file", join(f.dir, "fleet.yaml"), "--control-port", new URL(f.controlUrl).port];
  }, 40_000);

  afterAll(async () => {
    f?.kill();
    await m?.stop();
  });

  test("without --create-queues: exit 2, naming every probe queue it needs, and none made", async () => {
    const r = await runCheckCli(["hugo", "--quick", ...reach], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("run with --create-queues");
    for (const name of PROBE_NAMES) expect(r.stderr).toMatch(new RegExp(`^  ds2032-node-chk[0-9a-z]+-${name}-p2p$`, "m"));
    expect(await queues("ds2032-node-chk")).toEqual([]);
  }, 30_000);

  test("--create-queues --quick: exit 0, a pass with cases judged, and the probes' queues gone afterwards", async () => {
    const r = await runCheckCli(["hugo", "--create-queues", "--quick", "--json", ...reach], { env });
    expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
    const report = CheckReport.parse(JSON.parse(r.stdout));
    expect(withVerdict(report.cases, "fail")).toEqual([]);
    expect(report.verdict).toBe("pass");
    expect(report.summary.passed).toBeGreaterThan(0);
    // The listing sees the fleet's account (hugo's queue is there), so an empty list of probes means they are gone.
    const left = await queues("ds2032-node-");
    expect(left).toContain(queueName("hugo"));
    expect(left.filter((q) => q.startsWith("ds2032-node-chk"))).toEqual([]);
  }, 90_000);
});
