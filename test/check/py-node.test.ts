/**
 * The Python node that `fleet check` is graded against, tried for real
 * first: a `command:` node beside the bots in a real `fleet up` at fast
 * timings, on a seed and a catalog of its own, which it learns only from the
 * P2P_* variables the fleet gives it. The bots see it alive and rate its
 * reports honest, it knows them and flags bot-charlie, and it stops cleanly
 * with the fleet. Its view model is checked against the shared vectors.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HealthPeer } from "../../src/fleet/health-types.ts";
import { BOTS, botNodes, FAST_TIMING, fleetFile, ROOT, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { describeWith, pythonWith } from "../support/outside.ts";

export const PY_NODE = join(import.meta.dir, "nodes", "p2p_node.py");
const ID = "py-node";
const SEED = "py-node-test";
const CONTENT = ['{ content_id: "show:py-test", ad_id: "ad-1" }', '{ content_id: "movie:py-test", ad_id: "ad-2" }'];

/** For a node run by hand: the network's settings as P2P_* variables, matching FAST_TIMING; no planted bug. */
const FAST_ENV: Record<string, string> = {
  PLANTED_BUG: "",
  P2P_SEED: SEED,
  P2P_HEARTBEAT_S: "0.5",
  P2P_GOSSIP_S: "1",
  P2P_VIEWS_S: "0.5",
  P2P_AUDIT_S: "1",
  P2P_EPOCH_S: "1",
  P2P_RECHOKE_S: "1",
  P2P_OPTIMISTIC_S: "3",
};

const python = pythonWith(["boto3"]);
const describePy = describeWith(python);

describePy("the Python node's view model", () => {
  test("reproduces every case of the shared view-model vectors", () => {
    const vectors = JSON.parse(readFileSync(join(ROOT, "..", "shared", "vectors", "view-model.json"), "utf8")) as {
      cases: Array<{ seed: string; content_id: string; epoch: number; count: number }>;
    };
    const script = [
      "import json, sys",
      `sys.path.insert(0, ${JSON.stringify(join(import.meta.dir, "nodes"))})`,
      "from p2p_node import true_count",
      "cases = json.load(sys.stdin)",
      "print(json.dumps([true_count(c['seed'], c['content_id'], c['epoch']) for c in cases]))",
    ].join("\n");
    const r = Bun.spawnSync([python.found!, "-c", script], { stdin: Buffer.from(JSON.stringify(vectors.cases)) });
    expect(r.stderr.toString()).toBe("");
    expect(vectors.cases.length).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout.toString())).toEqual(vectors.cases.map((c) => c.count));
  });
});

describePy("the Python node's settings", () => {
  const BAD: Array<[string, Record<string, string>, string]> = [
    ["a heartbeat that is no number", { P2P_HEARTBEAT_S: "ten" }, "P2P_HEARTBEAT_S='ten' is not a number of seconds > 0"],
    ["an epoch of zero", { P2P_EPOCH_S: "0" }, "P2P_EPOCH_S='0' is not a number of seconds > 0"],
    ["a catalog that is no JSON list", { P2P_CONTENT: '{"content_id": "x"}' }, "P2P_CONTENT must be a JSON list"],
    ["a node id in capitals", { NODE_ID: "Sam" }, "NODE_ID='Sam': set it to 1-40 lowercase letters"],
    ["a planted bug that does not exist", { PLANTED_BUG: "typo" }, "PLANTED_BUG='typo' is not one of: no-peer-list,"],
  ];
  test.each(BAD)("%s: one line naming the variable, exit code 2", (_what, env, line) => {
    const r = Bun.spawnSync([python.found!, PY_NODE], { env: { PATH: process.env.PATH ?? "", NODE_ID: "sam", ...env } });
    const err = r.stderr.toString().trim();
    expect({ code: r.exitCode, lines: err.split("\n").length }).toEqual({ code: 2, lines: 1 });
    expect(err).toContain(line);
  });
});

describePy("the Python node beside the bots", () => {
  let f: FleetProc;
  // Nothing but the fleet's own settings: no planted bug, whatever the caller's environment holds.
  const FLEET = fleetFile([...botNodes(), `{ id: ${ID}, command: "python3 ${PY_NODE}", env: { PLANTED_BUG: "" } }`], [FAST_TIMING, `seed: ${SEED}`, `content: [${CONTENT.join(", ")}]`]);
  /** The node's own output lines. */
  const said = () => f.logs().filter((o) => o.node === ID).map((o) => String(o.msg));
  const peerOf = async (bot: string): Promise<HealthPeer | undefined> => (await f.node(bot)).peers.find((p) => p.id === ID);

  beforeAll(async () => {
    f = await startFleetProc(FLEET);
  }, 30_000);

  afterAll(() => f?.kill());

  test("the bots see it alive and answering", async () => {
    for (const bot of BOTS) {
      const p = await until(`${bot} sees ${ID} alive with a round trip`, 15_000, async () => {
        const peer = await peerOf(bot);
        return peer?.status === "alive" && peer.rtt_ms !== null && peer;
      });
      expect(p.status).toBe("alive");
    }
  }, 30_000);

  test("it knows every bot: bot-alpha from the bootstrap, the others from the network", async () => {
    await until(`${ID} knows every bot`, 15_000, async () => BOTS.every((b) => said().some((l) => l.startsWith(`peer ${b} added via `))));
    expect(said()).toContain("peer bot-alpha added via bootstrap");
    expect(said().some((l) => l.startsWith("joined via "))).toBe(true);
  }, 20_000);

  test("the honest bots audit its reports and do not flag it", async () => {
    for (const bot of ["bot-alpha", "bot-bravo"]) {
      const p = await until(`${bot} audited 8 of ${ID}'s reports`, 30_000, async () => {
        // The bots audit only items with 3 reporters: of this catalog, ones the node reports too.
        const peer = await peerOf(bot);
        return peer !== undefined && peer.reports >= 8 && peer;
      });
      // Every report agreed, on this fleet's own seed and catalog: the node took them from P2P_SEED and P2P_CONTENT.
      expect({ flagged: p.flagged, disagree: p.disagree }).toEqual({ flagged: false, disagree: 0 });
    }
    expect((await f.health()).fleet.flagged[ID]).toBeUndefined();
  }, 60_000);

  test("it flags bot-charlie, and only bot-charlie", async () => {
    await until(`${ID} flags bot-charlie`, 30_000, async () => said().some((l) => l.startsWith("flagged bot-charlie: ")));
    expect(said().filter((l) => l.startsWith("flagged ")).map((l) => l.split(":")[0])).toEqual(["flagged bot-charlie"]);
  }, 40_000);

  test("run by hand on the same network, it joins and stops cleanly on Ctrl-C (SIGINT)", async () => {
    const lines: string[] = [];
    const proc = Bun.spawn([python.found!, PY_NODE], {
      env: {
        ...process.env,
        ...FAST_ENV,
        NODE_ID: "by-hand",
        BOOTSTRAP: "bot-alpha",
        AWS_ENDPOINT_URL_SQS: f.sqsEndpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        PYTHONUNBUFFERED: "1",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    void (async () => {
      for await (const chunk of proc.stdout) lines.push(...new TextDecoder().decode(chunk).split("\n"));
    })();
    try {
      // Its queue did not exist: the node makes it on the embedded SQS, and bot-alpha's PEER_LIST reaches it.
      await until("by-hand joined", 15_000, async () => lines.some((l) => l === "joined via bot-alpha"));
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
      expect(lines.some((l) => l.startsWith("by-hand stopped; counted: "))).toBe(true);
      expect(await new Response(proc.stderr).text()).toBe("");
    } finally {
      proc.kill("SIGKILL");
    }
  }, 25_000);

  test("it stops with the fleet, cleanly, never having been restarted", async () => {
    const node = await f.node(ID);
    expect({ state: node.state, restarts: node.restarts }).toEqual({ state: "running", restarts: 0 });
    expect(await f.stop()).toBe(0);
    expect(said().some((l) => l.startsWith(`${ID} stopped; counted: `))).toBe(true);
    expect(f.logs().filter((o) => o.node === ID && o.stream === "stderr")).toEqual([]);
  }, 20_000);
});
