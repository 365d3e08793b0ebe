/** `fleet queues`: every queue of the network with what waits in it; `--purge ID --yes` empties one. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { FleetFile } from "../../src/fleet/config.ts";
import { formatQueues, networkQueues, type QueueRow } from "../../src/fleet/queues.ts";
import { botNodes, envelope, fleetFile, queueName, ROOT, startFleetProc, type FleetProc } from "../support/fleet-proc.ts";

const ROSTER = ["hugo", "sam", "phin", "manuel", "bruno", "gil"];

describe("networkQueues: which queues belong to the network", () => {
  const file = FleetFile.parse({
    roster: ["hugo", "sam", "bot-bravo"],
    nodes: [
      { id: "bot-alpha", persona: "bot-alpha" },
      { id: "bot-bravo", persona: "bot-bravo" },
      { id: "py", command: "python3 n.py" },
    ],
  });
  const listed = ["ds2032-node-bot-alpha-p2p", "ds2032-node-hugo-p2p", "ds2032-node-zed-p2p", "ds2032-node-abe-p2p", "ds2032-node-Bad-p2p", "ds2032-node-x-fifo"];
  const rows = networkQueues(file, listed);
  test.each<[string, string, QueueRow["role"], string | null, boolean]>([
    ["a node of the file, its queue there", "bot-alpha", "node", "bot-alpha", true],
    ["a node of the file, its queue missing", "bot-bravo", "node", "bot-bravo", false],
    ["a command node", "py", "node", "command", false],
    ["a roster id with a queue", "hugo", "roster", null, true],
    ["a roster id without", "sam", "roster", null, false],
    ["another node's queue of the network", "zed", "other", null, true],
  ])("%s", (_name, id, role, persona, exists) => {
    expect(rows.find((r) => r.id === id)).toEqual({ id, name: queueName(id), role, persona, exists });
  });
  test("nodes first in file order, then the roster, then the others by name; each once, nothing outside the naming scheme", () => {
    expect(rows.map((r) => r.id)).toEqual(["bot-alpha", "bot-bravo", "py", "hugo", "sam", "abe", "zed"]);
  });
  test("the table names every queue, its role and depth, and the missing ones", () => {
    const full = rows.map((r) => ({ ...r, visible: r.exists ? 3 : null, inFlight: r.exists ? 1 : null }));
    const text = formatQueues(full, "the embedded SQS at http://127.0.0.1:4566");
    const lines = text.split("\n");
    expect(lines[0]).toBe("4 queue(s) of the network on the embedded SQS at http://127.0.0.1:4566, 3 missing");
    expect(lines[1]).toMatch(/^QUEUE\s+NODE\s+ROLE\s+WAITING\s+IN FLIGHT$/);
    expect(lines).toContainEqual(expect.stringMatching(/^ds2032-node-bot-alpha-p2p\s+bot-alpha\s+node \(bot-alpha\)\s+3\s+1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ds2032-node-sam-p2p\s+sam\s+roster\s+missing$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ds2032-node-zed-p2p\s+zed\s+other\s+3\s+1$/));
  });
});

describe("bun run fleet queues against a running fleet", () => {
  let f: FleetProc;
  let port: string;
  const cli = (...args: string[]) => {
    const p = Bun.spawnSync(["bun", join(ROOT, "src", "cli.ts"), "fleet", "queues", "--file", join(f.dir, "fleet.yaml"), "--sqs-port", port, ...args], { cwd: f.dir });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };
  const rowOf = (out: string, id: string) => out.split("\n").find((l) => l.startsWith(`${queueName(id)} `));

  beforeAll(async () => {
    // No timing: the bots' defaults, so nothing they send lands in the roster's queues during the test.
    f = await startFleetProc(fleetFile(botNodes(), []), { debug: false });
    port = new URL(f.sqsEndpoint).port;
    await f.createQueue(queueName("zed"));
    await f.createQueue("not-a-node-queue");
    await f.sendMany("hugo", [1, 2, 3].map((i) => envelope("PING", "zed", `q${i}`)));
  }, 30_000);
  afterAll(async () => {
    await f?.stop();
    f?.kill();
  });

  test("lists the bots, the roster and any other node queue, with what waits in each", () => {
    const r = cli();
    expect(r).toMatchObject({ code: 0, err: "" });
    for (const bot of ["bot-alpha", "bot-bravo", "bot-charlie"]) expect(rowOf(r.out, bot)).toMatch(new RegExp(`^${queueName(bot)}\\s+${bot}\\s+node \\(${bot}\\)\\s+\\d+\\s+\\d+$`));
    for (const id of ROSTER) expect(rowOf(r.out, id)).toMatch(new RegExp(`^${queueName(id)}\\s+${id}\\s+roster\\s+\\d+\\s+\\d+$`));
    expect(rowOf(r.out, "hugo")).toMatch(/roster\s+3\s+0$/);
    expect(rowOf(r.out, "zed")).toMatch(/other\s+0\s+0$/);
    expect(r.out).not.toContain("not-a-node-queue");
    expect(r.out.split("\n")[0]).toBe(`10 queue(s) of the network on the embedded SQS at http://127.0.0.1:${port}`);
  });

  test("--json gives the same rows as data", () => {
    const r = cli("--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as QueueRow[];
    expect(rows.find((x) => x.id === "hugo")).toEqual({ id: "hugo", name: queueName("hugo"), role: "roster", persona: null, exists: true, visible: 3, inFlight: 0 });
  });

  test("--purge without --yes deletes nothing and says how to confirm (exit 2)", async () => {
    const r = cli("--purge", "hugo");
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--purge hugo deletes every message of ${queueName("hugo")}`);
    expect(r.err).toContain("(3 waiting, 0 in flight); add --yes");
    expect(await f.depth(queueName("hugo"))).toBe(3);
  });

  test.each([
    ["a bad id", ["--purge", "Hugo", "--yes"], 2, "a node id is 1-40 lowercase"],
    ["a queue that is not there", ["--purge", "nobody", "--yes"], 1, `no queue ${queueName("nobody")}`],
  ])("--purge of %s: one message", (_name, args, code, text) => {
    const r = cli(...args);
    expect(r.code).toBe(code);
    expect(r.err).toContain(text);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("--purge hugo --yes empties hugo's queue, and only it", async () => {
    const r = cli("--purge", "hugo", "--yes");
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain(`purged ${queueName("hugo")}`);
    expect(await f.depth(queueName("hugo"))).toBe(0);
    expect(rowOf(cli().out, "hugo")).toMatch(/roster\s+0\s+0$/);
  });
});

test("fleet queues with nothing answering: one message naming the endpoint, exit 1", () => {
  const p = Bun.spawnSync(["bun", join(ROOT, "src", "cli.ts"), "fleet", "queues", "--sqs-port", "1"], { cwd: ROOT });
  expect(p.exitCode).toBe(1);
  expect(p.stderr.toString()).toContain("is the fleet up (bun run fleet up)?");
  expect(p.stderr.toString()).not.toMatch(/\n\s+at /);
});
