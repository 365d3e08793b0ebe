/**
 * The fleet as the course uses it: the class's queues exist from the start,
 * a newcomer joins with bot-alpha down, and a node in any language is told
 * the network's settings.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { botNodes, fleetFile, queueName, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const ROSTER = ["hugo", "sam", "phin", "manuel", "bruno", "gil"];
const TIMING = "timing: { heartbeat: 0.5, gossip: 0.5, views: 0.5, audit: 1, epoch: 1, rechoke: 1, optimistic: 2 }";
const SETTINGS_LINE = 'echo "settings $P2P_SEED $P2P_EPOCH_S $P2P_HEARTBEAT_S $P2P_GOSSIP_S $P2P_VIEWS_S $P2P_AUDIT_S $P2P_RECHOKE_S $P2P_OPTIMISTIC_S $P2P_CONTENT $BOOTSTRAP"';

describe("a course fleet with bot-alpha down", () => {
  let f: FleetProc;
  beforeAll(async () => {
    const yaml = fleetFile(
      [...botNodes(), "{ id: newbie, persona: node }", `{ id: polyglot, command: '${SETTINGS_LINE}; exec sleep 600' }`],
      [TIMING, "seed: classroom-7", 'content: [{ content_id: "show:midnight-run", ad_id: "ad-7" }]'],
    );
    // bot-alpha is listed but runs nowhere: a bootstrap node that is down.
    f = await startFleetProc(yaml, { args: ["--only", "bot-bravo,bot-charlie,newbie,polyglot"], debug: false });
  }, 30_000);
  afterAll(async () => {
    await f?.stop();
    f?.kill();
  });

  test("the queues of the roster and of every node of the file exist from the start", async () => {
    for (const id of [...ROSTER, "bot-alpha", "bot-bravo", "bot-charlie", "newbie", "polyglot"]) {
      const r = await f.sqs.send(new GetQueueUrlCommand({ QueueName: queueName(id) }));
      expect(r.QueueUrl).toContain(queueName(id));
    }
  });

  test("JOIN-5: a new node joins through the other bots (default bootstrap: every bot, bot-alpha first)", async () => {
    const peers = await until("newbie alive with bot-bravo and bot-charlie", 20_000, async () => {
      const n = await f.node("newbie");
      const alive = n.peers.filter((p) => p.status === "alive").map((p) => p.id);
      return alive.includes("bot-bravo") && alive.includes("bot-charlie") ? alive : null;
    });
    expect(peers).not.toContain("newbie");
  }, 25_000);

  test("a command node is told the network's seed, timing, catalog and bootstrap", async () => {
    const want =
      'settings classroom-7 1 0.5 0.5 0.5 1 1 2 [{"content_id":"show:midnight-run","ad_id":"ad-7"}] bot-alpha,bot-bravo,bot-charlie';
    await until("polyglot's settings line", 10_000, async () => f.logs().some((o) => o.node === "polyglot" && o.msg === want));
  }, 15_000);
});
