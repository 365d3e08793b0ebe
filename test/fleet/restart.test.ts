import { describe, expect, test } from "bun:test";
import { createRestartPolicy, DEFAULT_RESTART_POLICY } from "../../src/fleet/restart-policy.ts";
import { createSlot, type SlotLog } from "../../src/fleet/slot.ts";
import { workerLauncher } from "../../src/fleet/worker-launcher.ts";
import { createLogSink, createNodeLogger } from "../../src/fleet/logs.ts";
import type { WorkerInit } from "../../src/runtime/worker-messages.ts";
import { until } from "../support/until.ts";

describe("restart policy: 1 s doubling to 30 s, failed after 5 crashes in 60 s", () => {
  // [crash time, when that run started] -> decision
  test.each<[string, Array<[number, number]>, Array<number | "fail">]>([
    ["one crash", [[10_000, 0]], [1_000]],
    [
      "quick crashes double, the fifth within a minute fails",
      [
        [1_000, 0],
        [3_000, 2_000],
        [6_000, 5_000],
        [11_000, 10_000],
        [20_000, 19_000],
      ],
      [1_000, 2_000, 4_000, 8_000, "fail"],
    ],
    [
      "crashes spread out keep doubling up to the 30 s cap, never failing",
      [
        [0, 0],
        [20_000, 1_000],
        [45_000, 22_000],
        [70_000, 50_000],
        [100_000, 80_000],
        [130_000, 110_000],
        [160_000, 140_000],
      ],
      [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
    ],
    [
      "a run that lasted a whole window starts again from 1 s",
      [
        [1_000, 0],
        [3_000, 2_000],
        [200_000, 4_000],
      ],
      [1_000, 2_000, 1_000],
    ],
  ])("%s", (_name, crashes, want) => {
    const p = createRestartPolicy(DEFAULT_RESTART_POLICY);
    const got = crashes.map(([at, up]) => {
      const d = p.onCrash(at, up);
      return d.action === "fail" ? "fail" : d.delayMs;
    });
    expect(got).toEqual(want);
  });
});

const CRASH_WORKER = new URL("./fixtures/crash-worker.ts", import.meta.url);
const FAST = { baseMs: 20, maxMs: 100, crashesMax: 5, windowMs: 60_000 };

function init(id: string, extra: Record<string, unknown>): WorkerInit {
  return { config: { id }, ...extra } as unknown as WorkerInit;
}

function recorder() {
  const lines: string[] = [];
  const entries: Array<{ level: string; msg: string }> = [];
  const log: SlotLog = {
    info: (_f, msg) => void entries.push({ level: "info", msg }),
    warn: (_f, msg) => void entries.push({ level: "warn", msg }),
    error: (_f, msg) => void entries.push({ level: "error", msg }),
  };
  const sink = createLogSink({ json: true, nodes: [], out: (s) => void lines.push(s) });
  return { lines, entries, log, sink };
}

/** A slot running the test worker under the fast restart policy. */
function crashWorkerSlot(id: string, r: ReturnType<typeof recorder>, extra: Parameters<typeof init>[1]) {
  return createSlot({
    id,
    persona: "node",
    kind: "builtin",
    log: r.log,
    policy: FAST,
    launcher: workerLauncher({ sink: r.sink, url: CRASH_WORKER, init: init(id, extra) }),
  });
}

describe("a slot with real worker threads", () => {
  test.each([
    ["throws", { crashAfterMs: 30 }],
    ["exits with a code", { crashAfterMs: 30, exitCode: 3 }],
  ])("a worker that always %s is restarted with backoff, then marked failed", async (_name, extra) => {
    const r = recorder();
    const slot = crashWorkerSlot("crashy", r, extra);
    slot.start();
    await until("slot.view().slot === \"failed\"", 10_000, () => slot.view().slot === "failed");
    expect(slot.view().restarts).toBe(4);
    expect(r.entries.filter((e) => e.level === "warn").length).toBe(4);
    expect(r.entries.at(-1)!.msg).toContain("crashed 5 times");
    // Each run's own log line reached the sink, tagged with the node id.
    expect(r.lines.filter((l) => JSON.parse(l).msg === "test worker up" && JSON.parse(l).node === "crashy").length).toBe(5);
    await slot.stop(500);
    expect(slot.view().slot).toBe("failed");
  });

  test("a crash on request is followed by a restart; stop then ends it cleanly", async () => {
    const r = recorder();
    const slot = crashWorkerSlot("steady", r, {});
    slot.start();
    await until("slot.view().slot === \"up\" && slot.view().runner !== null", 10_000, () => slot.view().slot === "up" && slot.view().runner !== null);
    expect(slot.crash()).toBe(true);
    await until("slot.view().restarts === 1 && slot.view().slot === \"up\" && slot.view().runner !== null", 10_000, () => slot.view().restarts === 1 && slot.view().slot === "up" && slot.view().runner !== null);
    expect(r.entries.map((e) => e.level)).toEqual(["warn"]);
    await slot.stop(1_000);
    expect(slot.view().slot).toBe("stopped");
    expect(slot.view().restarts).toBe(1);
  });
});

describe("the supervisor's lines about a crashed node", () => {
  // The fleet's logger already names itself `node: "fleet"`: a second `node` key in the same JSON line
  // would make jq and friends file the line under the crashed node. The node is the `target`.
  test.each([
    ["restarted", { crashAfterMs: 30, exitCode: 3 }, FAST, "restarting in"],
    ["left down", { crashAfterMs: 30, exitCode: 3 }, { ...FAST, crashesMax: 1 }, "left down (failed)"],
  ])("%s: one node key, the fleet's, and the node as target", async (_name, extra, policy, says) => {
    const lines: string[] = [];
    const log = createNodeLogger("fleet", "info", (l) => void lines.push(l));
    const sink = createLogSink({ json: true, nodes: [], out: () => {} });
    const slot = createSlot({
      id: "crashy",
      persona: "node",
      kind: "builtin",
      log,
      policy,
      launcher: workerLauncher({ sink, url: CRASH_WORKER, init: init("crashy", extra) }),
    });
    slot.start();
    await until(`a line saying "${says}"`, 10_000, () => lines.some((l) => l.includes(says)));
    await slot.stop(500);
    const line = lines.find((l) => l.includes(says))!;
    expect(line.match(/"node":/g)?.length).toBe(1);
    expect(JSON.parse(line)).toMatchObject({ node: "fleet", target: "crashy" });
  });
});
