/**
 * The fleet as a user runs it: `fleet up` as a real subprocess on a fleet file
 * of fast timings, and everything checked from outside, through the AWS SDK
 * and the control endpoint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOTS, botNodes, envelope, fleetFile, queueName, queueUrl, ROOT, startFleetProc, until, type FleetProc, type Msg } from "../support/fleet-proc.ts";

const TESTER = "tester";

// Epochs of 1 s and views every 0.5 s: bot-charlie has 8 audited reports within a few seconds.
const FLEET_FILE = fleetFile([
  ...botNodes(),
  `{ id: echo-node, command: 'echo "joined as $NODE_ID at $QUEUE_URL via $AWS_ENDPOINT_URL_SQS key $AWS_ACCESS_KEY_ID"; exec sleep 600' }`,
]);

let f: FleetProc;
const base = (type: string, msgId: string) => envelope(type, TESTER, msgId);

describe("fleet up, end to end", () => {
  beforeAll(async () => {
    f = await startFleetProc(FLEET_FILE, { dir: mkdtempSync(join(tmpdir(), "fleet-e2e-")) });
    await f.createQueue(queueName(TESTER));
  }, 30_000);

  afterAll(() => f?.kill());

  test("every log line is JSON and carries its node id", () => {
    const parsed = f.lines.map((l) => JSON.parse(l) as { node?: string });
    expect(parsed.length).toBeGreaterThan(0);
    for (const p of parsed) expect(["fleet", ...BOTS, "echo-node"]).toContain(p.node!);
  });

  test("a command node runs with what it needs to join, its output in the log stream", async () => {
    const port = new URL(f.sqsEndpoint).port;
    const want = `joined as echo-node at ${queueUrl("echo-node")} via http://127.0.0.1:${port} key local`;
    await until("the command node's line", 10_000, async () =>
      f.lines.some((l) => {
        const o = JSON.parse(l);
        return o.node === "echo-node" && o.msg === want;
      }),
    );
  }, 15_000);

  test("HELLO to bot-alpha gets a PEER_LIST naming all three bots", async () => {
    const named = await until("a PEER_LIST naming every bot", 20_000, async () => {
      await f.send("bot-alpha", { ...base("HELLO", "e2e00001"), queue_url: queueUrl(TESTER) });
      for (let i = 0; i < 3; i++) {
        for (const m of await f.drain(TESTER)) {
          if (m.type !== "PEER_LIST" || m.sender !== "bot-alpha") continue;
          const ids = new Set(m.peers!.map((p) => p.node_id));
          if (BOTS.every((b) => ids.has(b))) return ids;
        }
      }
      return null;
    });
    expect(named.has("bot-alpha")).toBe(true);
  }, 30_000);

  test("PING to each bot gets its PONG with the same seq", async () => {
    const seqOf = (bot: string) => 7000 + BOTS.indexOf(bot);
    for (const bot of BOTS) await f.send(bot, { ...base("PING", `e2e1000${BOTS.indexOf(bot)}`), seq: seqOf(bot) });
    const ponged = new Set<string>();
    await until("a PONG from every bot", 15_000, async () => {
      for (const m of await f.drain(TESTER)) if (m.type === "PONG" && m.seq === seqOf(m.sender)) ponged.add(m.sender);
      return ponged.size === BOTS.length;
    });
    expect([...ponged].sort()).toEqual(BOTS);
  }, 20_000);

  test("/health shows three running nodes that all know each other", async () => {
    const h = await until("three running bots that know each other", 15_000, async () => {
      const h = await f.health();
      const ok = h.nodes.filter((n) => n.kind === "builtin").every(
        (n) => n.state === "running" && BOTS.filter((b) => b !== n.id).every((b) => n.peers.some((p) => p.id === b && p.status === "alive")),
      );
      return ok ? h : null;
    });
    expect(h.nodes.map((n) => n.id)).toEqual([...BOTS, "echo-node"]);
    expect(h.nodes.map((n) => n.kind)).toEqual(["builtin", "builtin", "builtin", "command"]);
    expect(h.nodes[3]!.state).toBe("running");
    expect(h.sqs.mode).toBe("local");
    expect(h.control!.port).toBe(Number(new URL(f.controlUrl).port));
  }, 20_000);

  test("after enough epochs bot-charlie is flagged by alpha and bravo, and nobody else is flagged", async () => {
    const h = await until("bot-charlie flagged by both honest bots", 40_000, async () => {
      const h = await f.health();
      return (h.fleet.flagged["bot-charlie"] ?? []).length === 2 ? h : null;
    });
    expect(h.fleet.flagged).toEqual({ "bot-charlie": ["bot-alpha", "bot-bravo"] });
    const charlie = h.nodes.find((n) => n.id === "bot-charlie")!;
    expect(charlie.flags).toEqual([]);
  }, 45_000);

  test("a crashed worker is restarted and runs again", async () => {
    const res = await f.post("/debug/crash/bot-bravo");
    expect(res.status).toBe(202);
    const bravo = await until("bot-bravo restarted and running", 15_000, async () => {
      const n = await f.node("bot-bravo");
      return n.restarts === 1 && n.state === "running" ? n : null;
    });
    expect(bravo.restarts).toBe(1);
    expect(f.lines.some((l) => l.includes("crashed") && l.includes("restarting in 1s"))).toBe(true);
    // The others ran on.
    const others = (await f.health()).nodes.filter((n) => n.id !== "bot-bravo");
    expect(others.map((n) => [n.id, n.state, n.restarts])).toEqual([
      ["bot-alpha", "running", 0],
      ["bot-charlie", "running", 0],
      ["echo-node", "running", 0],
    ]);
  }, 20_000);

  test("fleet send, peek and status talk to the running fleet", async () => {
    const sqsPort = new URL(f.sqsEndpoint).port;
    const controlPort = new URL(f.controlUrl).port;
    const cli = (...args: string[]) => {
      const p = Bun.spawnSync(["bun", join(ROOT, "src", "cli.ts"), "fleet", ...args], { cwd: tmpdir() });
      return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
    };
    const sent = cli("send", "bot-alpha", "HELLO", "--from", "cli-e2e", "--sqs-port", sqsPort);
    expect(sent.err).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.out).toContain("sent HELLO to bot-alpha");
    const peeked = await until("the PEER_LIST in cli-e2e's queue", 10_000, async () => {
      const p = cli("peek", "cli-e2e", "--sqs-port", sqsPort, "--json");
      const bodies = p.out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(JSON.parse(l).body) as Msg);
      return bodies.find((b) => b.type === "PEER_LIST" && b.sender === "bot-alpha");
    });
    expect(peeked.peers!.map((p) => p.node_id)).toContain("bot-charlie");
    // Peeking took nothing: the message is still there.
    expect(cli("peek", "cli-e2e", "--sqs-port", sqsPort).out).toContain("PEER_LIST from bot-alpha");

    const status = cli("status", "--control-port", controlPort);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^bot-charlie\s+bot-charlie\s+running/m);
    expect(status.out).toContain("flagged: bot-charlie by 2 of 2 (bot-alpha, bot-bravo)");
  }, 30_000);

  test("SIGTERM stops every node, prints the final health and exits 0 within 10 s", async () => {
    const t0 = Date.now();
    const code = await f.stop(10_000);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await Bun.sleep(50);
    const final = f.lines.map((l) => JSON.parse(l)).find((o) => o.msg === "final health");
    expect(final.health.nodes.map((n: { state: string }) => n.state)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
    // The final table keeps the fleet's last verdict.
    expect(final.health.fleet.flagged).toEqual({ "bot-charlie": ["bot-alpha", "bot-bravo"] });
  }, 15_000);
});
