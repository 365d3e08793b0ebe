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
 *
 * Stopped by a signal, the check deletes the queues it created and no other:
 * the fleet's (hugo's and the roster's, made by `fleet up --create-queues`)
 * are compared before and after. With moto frozen (SIGSTOP: it takes
 * connections and answers nothing), the deletion's bound and a second
 * signal are what end the check.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { join } from "node:path";
import { PROBE_NAMES } from "../../src/check/make-session.ts";
import { QUEUES_DELETE_BOUND_MS } from "../../src/check/made-queues.ts";
import { SAME_PRESS_MS } from "../../src/fleet/same-press.ts";
import { CheckReport } from "../../src/check/types.ts";
import { fleetFile, queueName, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";
import { motoEnv, motoPart, startMoto, type Moto } from "../support/moto.ts";
import { describeWith } from "../support/outside.ts";
import { ROOT, runCheckCli, withVerdict } from "./helpers.ts";

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
    const before = await queues("ds2032-node-");
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
    // Nothing else made or deleted: the roster's queues (sam, phin, ...) are the fleet's, not the check's.
    expect(left).toEqual(before);
  }, 90_000);

  /**
   * A whole check (minutes of cases) as a child process, its stderr kept as it
   * comes; with `group`, `bun run fleet check` in a process group of its own,
   * as a terminal starts it.
   */
  const startCheck = (group = false) => {
    const cmd = group ? ["bun", "run", "fleet", "check"] : ["bun", join(ROOT, "src", "cli.ts"), "fleet", "check"];
    const proc = Bun.spawn([...cmd, "hugo", "--create-queues", ...reach], {
      cwd: ROOT,
      detached: group,
      env: { ...process.env, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    let stderr = "";
    const read = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr) stderr += decoder.decode(chunk, { stream: true });
    })();
    const stdout = new Response(proc.stdout).text();
    return {
      proc,
      lines: () => stderr.split("\n").filter((l) => l !== ""),
      /** Exit code, stdout and every stderr line, once it exited. */
      ended: async () => {
        const [code, out] = await Promise.all([proc.exited, stdout, read]);
        return { code, stdout: out, lines: stderr.split("\n").filter((l) => l !== "") };
      },
    };
  };

  /** Starts a check and waits, on its output, until its cases run: its probes' queues are made by then. */
  const checkRunning = async (group = false) => {
    const before = await queues("ds2032-node-");
    const c = startCheck(group);
    await until("the check's cases started", 30_000, () => c.lines().some((l) => l.startsWith("checking hugo:")));
    const during = await queues("ds2032-node-");
    const made = during.filter((q) => !before.includes(q));
    expect(made.map((q) => q.replace(/^ds2032-node-chk[0-9a-z]+0-(\w+)-p2p$/, "$1")).sort()).toEqual([...PROBE_NAMES].sort());
    expect(during.filter((q) => before.includes(q))).toEqual(before);
    return { c, before, made };
  };

  /** The queue names a line lists after its last colon. */
  const namesIn = (line: string | undefined) => (line ?? "").slice(line!.lastIndexOf(": ") + 2).split(", ").sort();

  test.each([
    ["SIGINT", "SIGINT", 130, false],
    ["SIGTERM", "SIGTERM", 143, false],
    ["SIGHUP (its terminal closed)", "SIGHUP", 129, false],
    // The terminal's copy and the one bun run forwards: one press, so the deletion is not cut short.
    ["Ctrl-C (SIGINT to bun run's process group)", "SIGINT", 130, true],
  ] as const)("%s during the cases: its probes' queues deleted, one line naming them, the fleet's untouched, no verdict", async (_, sig, code, group) => {
    const { c, before, made } = await checkRunning(group);
    if (group) process.kill(-c.proc.pid, sig);
    else c.proc.kill(sig);
    const r = await c.ended();
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    const deleted = r.lines.filter((l) => l.startsWith("fleet check deleted"));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toStartWith(`fleet check deleted the ${PROBE_NAMES.length} queues it created: `);
    expect(namesIn(deleted[0])).toEqual(made);
    // (bun run adds a line of its own after its script's.)
    expect(r.lines.filter((l) => l.startsWith("fleet check")).at(-1)).toBe(`fleet check stopped by ${sig}: no verdict`);
    expect(await queues("ds2032-node-")).toEqual(before);
  }, 60_000);

  describe("on an SQS that does not answer", () => {
    let made: string[] = [];
    afterAll(async () => {
      m?.resume();
      // What the check could not delete, the test does, so that the queues are as the fleet made them.
      for (const name of made) {
        const { QueueUrl } = await f.sqs.send(new GetQueueUrlCommand({ QueueName: name })).catch(() => ({ QueueUrl: undefined }));
        if (QueueUrl) await f.sqs.send(new DeleteQueueCommand({ QueueUrl }));
      }
    });

    test("SIGINT: after the deletion's bound, one line names every queue left, and the exit is 130 with no verdict", async () => {
      const running = await checkRunning();
      made = running.made;
      m.pause();
      running.c.proc.kill("SIGINT");
      const r = await running.c.ended();
      m.resume();
      expect(r.code).toBe(130);
      expect(r.stdout).toBe("");
      expect(r.lines).toContain(`fleet check stopped by SIGINT: deleting the ${PROBE_NAMES.length} queues it created, ${QUEUES_DELETE_BOUND_MS / 1000} s at most (again to exit at once)`);
      const left = r.lines.filter((l) => l.startsWith("fleet check could not delete"));
      expect(left).toHaveLength(1);
      expect(left[0]).toContain(`could not delete ${PROBE_NAMES.length} of the ${PROBE_NAMES.length} queues it created (no answer from the SQS within ${QUEUES_DELETE_BOUND_MS / 1000} s); delete them yourself: `);
      expect(namesIn(left[0])).toEqual(made);
      expect(r.lines.at(-1)).toBe("fleet check stopped by SIGINT: no verdict");
      // Nothing was deleted, so the line's names are what the user finds.
      expect(await queues("ds2032-node-")).toEqual([...running.before, ...made].sort());
    }, 60_000);

    test("a second SIGINT, a press after the first: exits at once, naming the queues that may remain", async () => {
      const running = await checkRunning();
      made = [...made, ...running.made];
      m.pause();
      running.c.proc.kill("SIGINT");
      await until("the first SIGINT's deletion started", 10_000, () => running.c.lines().some((l) => l.startsWith("fleet check stopped by SIGINT: deleting")));
      // Sooner than this after the first, a SIGINT is the same press (bun run forwarding it): a second press is later.
      await Bun.sleep(SAME_PRESS_MS + 100);
      running.c.proc.kill("SIGINT");
      const r = await running.c.ended();
      m.resume();
      expect(r.code).toBe(130);
      const last = r.lines.at(-1)!;
      expect(last).toStartWith("fleet check stopped by SIGINT again: exiting at once; queues it created may remain, delete them yourself: ");
      expect(namesIn(last)).toEqual(running.made);
      // At once: not after the deletion's bound, whose line never came.
      expect(r.lines.filter((l) => l.startsWith("fleet check could not delete"))).toEqual([]);
    }, 60_000);
  });
});
