/**
 * The fleet in AWS mode against moto, an SQS independent of the embedded
 * one: `fleet up --aws --create-queues` with AWS_ENDPOINT_URL_SQS pointing at
 * moto, the notebook's AWS-form queue URLs unchanged. The bots find each
 * other and flag bot-charlie; a boto3 client, as the notebook writes it, gets
 * a PEER_LIST; and moto refuses none of our requests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BOTS, botNodes, FAST_TIMING, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { boto3Part, motoEnv, motoPart, startMoto, type Moto } from "../support/moto.ts";
import { describeWith } from "../support/outside.ts";

const FLEET = [
  "network: { sqs: aws }",
  FAST_TIMING,
  "control: { port: 0 }",
  "health: { every: 0 }",
  "nodes:",
  ...botNodes().map((n) => `  - ${n}`),
  "",
].join("\n");

/** The notebook's client, word for word but for where it points. */
const NOTEBOOK_CLIENT = `
import boto3, json, os, uuid
from datetime import datetime, timezone
sqs = boto3.client("sqs", region_name="us-east-1")   # AWS_ENDPOINT_URL_SQS from the environment
def queue_url(node_id):
    return f"https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-{node_id}-p2p"
ME = "pyclient"
sqs.create_queue(QueueName=f"ds2032-node-{ME}-p2p")
sqs.send_message(QueueUrl=queue_url("bot-alpha"), MessageBody=json.dumps({
    "type": "HELLO", "sender": ME, "msg_id": uuid.uuid4().hex[:8],
    "timestamp": datetime.now(timezone.utc).isoformat(), "queue_url": queue_url(ME)}))
for _ in range(10):
    resp = sqs.receive_message(QueueUrl=queue_url(ME), WaitTimeSeconds=2, MaxNumberOfMessages=10)
    for m in resp.get("Messages", []):
        body = json.loads(m["Body"])
        sqs.delete_message(QueueUrl=queue_url(ME), ReceiptHandle=m["ReceiptHandle"])
        if body["type"] == "PEER_LIST" and body["sender"] == "bot-alpha":
            print(json.dumps(sorted(p["node_id"] for p in body["peers"])))
            raise SystemExit(0)
raise SystemExit("no PEER_LIST from bot-alpha")
`;

const moto = motoPart();

describeWith(moto)("fleet up in AWS mode on moto", () => {
  let m: Moto;
  let f: FleetProc;
  let env: Record<string, string>;

  beforeAll(async () => {
    m = await startMoto();
    env = motoEnv(m);
    f = await startFleetProc(FLEET, { args: ["--create-queues"], env });
  }, 40_000);

  afterAll(async () => {
    f?.kill();
    await m?.stop();
  });

  test("the fleet says it runs on the endpoint of AWS_ENDPOINT_URL_SQS", () => {
    expect(f.sqsEndpoint).toBe(m.endpoint);
  });

  test("the bots find each other and flag bot-charlie", async () => {
    const h = await until("bot-charlie flagged by both honest bots", 60_000, async () => {
      const h = await f.health();
      return (h.fleet.flagged["bot-charlie"] ?? []).length === 2 ? h : null;
    });
    for (const n of h.nodes) {
      expect(n.state).toBe("running");
      expect(n.peers.filter((p) => p.status === "alive").map((p) => p.id).sort()).toEqual(BOTS.filter((b) => b !== n.id));
    }
    expect(h.fleet.flagged).toEqual({ "bot-charlie": ["bot-alpha", "bot-bravo"] });
  }, 70_000);

  // Looked for only where moto is: a missing moto is the one line to print.
  const python = moto.found === null ? null : boto3Part();
  (python === null ? describe.skip : describeWith(python))("a notebook node", () => {
    test("boto3 with the notebook's queue URLs gets a PEER_LIST naming every bot", async () => {
      const proc = Bun.spawn([python!.found!, "-c", NOTEBOOK_CLIENT], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
      expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
      const ids = JSON.parse(out.trim()) as string[];
      for (const b of BOTS) expect(ids).toContain(b);
    }, 40_000);
  });

  test("moto refused none of the fleet's requests", async () => {
    const h = await f.health();
    const errors = Object.fromEntries(h.nodes.map((n) => [n.id, n.counters.sqs_errors]));
    expect(errors).toEqual(Object.fromEntries(BOTS.map((b) => [b, {}])));
    const warned = f.logs().filter((o) => ["receive failed", "send given up", "send dropped", "delete failed; SQS will redeliver"].includes(String(o.msg)));
    expect(warned).toEqual([]);
    for (const n of h.nodes) expect(n.counters.sqs_requests.SendMessageBatch ?? 0).toBeGreaterThan(0);
  });
});
