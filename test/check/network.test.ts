/**
 * `fleet check ID...` against nodes already on a running fleet's network:
 * a fleet of bots and `hugo` (persona node), and `zed`, a node of nobody's
 * fleet started by hand. `--all` finds zed; two ids give the class matrix;
 * an id with no queue is refused; the probes' queues are gone afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { CheckReport } from "../../src/check/types.ts";
import { botNodes, fleetFile, queueName, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { ROOT, runCheckCli, withVerdict } from "./helpers.ts";

const TIMING = "timing: { heartbeat: 0.5, gossip: 1, views: 0.5, audit: 1, epoch: 2, rechoke: 1, optimistic: 3 }";

describe("fleet check on a running fleet's network", () => {
  let f: FleetProc;
  let zed: Subprocess;
  let reach: string[];

  beforeAll(async () => {
    f = await startFleetProc(fleetFile([...botNodes(), "{ id: hugo, persona: node }"], [TIMING]));
    const sqsPort = new URL(f.sqsEndpoint).port;
    const controlPort = new URL(f.controlUrl).port;
    reach = ["--file", join(f.dir, "fleet.yaml"), "--sqs-port", sqsPort, "--control-port", controlPort];
    await f.createQueue(queueName("zed"));
    zed = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "node", "--persona", "node", "--log-level", "warn"], {
      env: { ...process.env, NODE_ID: "zed", AWS_ENDPOINT_URL_SQS: f.sqsEndpoint, BOOTSTRAP: "bot-alpha", P2P_HEARTBEAT_S: "0.5", P2P_EPOCH_S: "2", P2P_VIEWS_S: "0.5", P2P_AUDIT_S: "1", P2P_RECHOKE_S: "1", P2P_GOSSIP_S: "1", P2P_OPTIMISTIC_S: "3" },
      stdout: "ignore",
      stderr: "pipe",
    });
    await until("bot-alpha knows zed", 20_000, async () => (await f.node("bot-alpha")).peers.some((p) => p.id === "zed"));
  }, 300_000);

  afterAll(async () => {
    zed?.kill("SIGTERM");
    await zed?.exited;
    await f?.stop();
  });

  test("--all finds the node outside the fleet and grades it", async () => {
    const r = await runCheckCli(["--all", "--quick", "--json", ...reach]);
    const report = CheckReport.parse(JSON.parse(r.stdout));
    expect(report.mode).toBe("network");
    expect(report.nodes.map((n) => n.node)).toEqual(["zed"]);
    expect(withVerdict(report.cases, "fail")).toEqual([]);
    expect(r.code).toBe(0);
  }, 300_000);

  test("two ids: one report each, and the matrix of nodes × cases in the terminal and the HTML", async () => {
    const html = join(f.dir, "class.html");
    const r = await runCheckCli(["hugo", "zed", "--quick", "--html", html, ...reach]);
    expect([r.code, r.stdout.split("\n").filter((l) => l.includes("×") || l.includes("observed")).join("\n")]).toEqual([0, ""]);
    expect(r.stdout).toContain("fleet check of hugo");
    expect(r.stdout).toContain("fleet check of zed");
    expect(r.stdout).toMatch(/class matrix[^\n]*\nNODE[^\n]*\nhugo .*PASS[^\n]*\nzed .*PASS/);
    const page = readFileSync(html, "utf8");
    expect(page).toContain('<section id="matrix">');
    expect(page).toContain('href="#case-1-live-01"');
  }, 300_000);

  test("the probes' queues are deleted when the check ends", async () => {
    const left = await f.sqs.send(new ListQueuesCommand({ QueueNamePrefix: "ds2032-node-chk" }));
    expect(left.QueueUrls ?? []).toEqual([]);
  });

  test("an id with no queue on the network: exit 2, naming it", async () => {
    const r = await runCheckCli(["nobody", "--quick", ...reach]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no node nobody");
  }, 60_000);
});
