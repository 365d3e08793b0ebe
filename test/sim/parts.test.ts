import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRng } from "../../src/core/rng.ts";
import { DEFAULT_NETWORK, DEFAULT_SCALE_BOUNDS } from "../../src/core/settings.ts";
import { build, queueUrlOf, type Message } from "../../src/protocol/index.ts";
import { Checkers } from "../../src/sim/checkers/index.ts";
import { EventClock } from "../../src/sim/clock.ts";
import { planFaults } from "../../src/sim/faults.ts";
import { Network } from "../../src/sim/network.ts";
import { SimOptions } from "../../src/sim/options.ts";
import { judge } from "../../src/sim/properties.ts";
import { roster } from "../../src/sim/roster.ts";
import { simulate } from "../../src/sim/run.ts";
import { ViewTruth } from "../../src/sim/truth.ts";

const VECTORS = join(import.meta.dir, "..", "..", "..", "shared", "vectors");

describe("virtual clock", () => {
  test("events come out by time, ties in the order they were scheduled", () => {
    const clock = new EventClock<string>(0);
    const input: Array<[number, string]> = [[5, "a"], [1, "b"], [5, "c"], [3, "d"], [1, "e"], [5, "f"]];
    for (const [t, x] of input) clock.at(t, x);
    const out: string[] = [];
    while (clock.size > 0) out.push(`${clock.next()}@${clock.nowMs}`);
    expect(out).toEqual(["b@1", "e@1", "d@3", "a@5", "c@5", "f@5"]);
  });

  test("an event scheduled in the past runs now, never before", () => {
    const clock = new EventClock<string>(100);
    clock.at(40, "late");
    expect(clock.peekMs()).toBe(100);
  });
});

describe("view model truth", () => {
  const cases = JSON.parse(readFileSync(join(VECTORS, "view-model.json"), "utf8")).cases as Array<{
    seed: string;
    content_id: string;
    epoch: number;
    count: number;
  }>;
  test.each(cases.map((c) => [c.seed, c.content_id, c.epoch, c.count] as const))("%s %s epoch %d is %d", (seed, content, epoch, count) => {
    expect(new ViewTruth(seed).count(content, epoch)).toBe(count);
  });
});

describe("network", () => {
  const ids = ["a", "b", "c"];
  const msg: Message = build("PING", { sender: "a", nowMs: 0, msgId: "00000001" }, { seq: 1 });
  const net = (o: Partial<SimOptions> = {}) => {
    const deliveries: Array<[number, number]> = [];
    const options = SimOptions.parse({ dup: 0, reorder: 0, ...o });
    const n = new Network(createRng("t"), options, ids, DEFAULT_NETWORK.prefix, (to, _from, _m, at) => deliveries.push([to, at]));
    return { n, deliveries };
  };
  const url = (id: string) => queueUrlOf(DEFAULT_NETWORK, id);

  test.each([
    ["partition", "partition"],
    ["silenced", "silenced"],
  ] as const)("a message blocked by %s is dropped with that reason", (_name, reason) => {
    const { n, deliveries } = net();
    expect(n.send(0, url("b"), msg, 0, reason)).toBe(1);
    expect(deliveries).toEqual([]);
    expect(n.dropped[reason]).toBe(1);
    expect(n.dropLog[0]).toMatchObject({ from: "a", to: "b", type: "PING", reason });
  });

  test("a queue that does not exist is a drop, and the sender is told", () => {
    const { n } = net();
    expect(n.send(0, url("nobody"), msg, 0, null)).toBe(-1);
    expect(n.dropped.queue_missing).toBe(1);
  });

  test("loss, duplication and holding back are recorded with their reasons", () => {
    const { n, deliveries } = net({ loss: 0.2, dup: 0.3, reorder: 0.3 });
    for (let i = 0; i < 2_000; i++) n.send(0, url("c"), msg, 0, null);
    const lost = n.dropped.loss;
    expect(lost).toBeGreaterThan(300);
    expect(lost).toBeLessThan(500);
    expect(deliveries.length).toBe(2_000 - lost + n.delayed.duplicate);
    expect(n.delayed.duplicate).toBeGreaterThan(400);
    expect(n.delayed.reorder_hold).toBeGreaterThan(400);
    expect(deliveries.every(([to, at]) => to === 2 && at >= 20)).toBe(true);
  });

  test("a stopped node's queue keeps its messages until it comes back", () => {
    const { n, deliveries } = net();
    n.park(1, 0, msg, 10);
    n.park(1, 2, msg, 20);
    expect(n.parkedCount(1)).toBe(2);
    n.unpark(1, 1_000);
    expect(n.parkedCount(1)).toBe(0);
    expect(deliveries.map(([to]) => to)).toEqual([1, 1]);
    expect(deliveries.every(([, at]) => at >= 1_000)).toBe(true);
  });
});

/** 10 s beats, nothing in flight; past 2 peers a heartbeat PINGs 2, 1 of them urgent: two rounds of 3 peers are 60 s. */
const DETECTION = { heartbeatMs: 10_000, inFlightMs: 0, scale: { ...DEFAULT_SCALE_BOUNDS, probes_per_beat: 2, urgent_per_beat: 1 } };

describe("checkers", () => {
  const o = SimOptions.parse({ nodes: 4, liars: 1, minutes: 10 });
  const members = roster(o);
  const plan = planFaults(createRng("x"), o, members);
  const fresh = () => {
    const c = new Checkers(members, plan, "s", 500, 60_000, false, DETECTION);
    members.forEach((m) => c.started(m.ix));
    return c;
  };
  // bot-alpha, bot-charlie, node-1, node-2
  test("an honest node flagged by an honest node is counted", () => {
    const c = fresh();
    c.event(0, { type: "peer_flagged", peer: "node-2", score: 0.6 }, 1_000);
    c.event(1, { type: "peer_flagged", peer: "node-1", score: 0.6 }, 1_000);
    c.event(2, { type: "peer_flagged", peer: "bot-charlie", score: 0.4 }, 1_000);
    expect(c.fig.reputation.honestFlagged).toBe(1);
    expect(c.fig.reputation.honestFlaggedByLiars).toBe(1);
  });

  test("a suspicion of a live node with no fault to explain it is false", () => {
    const c = fresh();
    c.event(2, { type: "peer_added", peer: "node-2", via: "peer_list" }, 1_000);
    c.event(2, { type: "peer_status", peer: "node-2", from: "alive", to: "suspect" }, 40_000);
    expect(c.fig.failureDetection.falseSuspicions).toBe(1);
  });

  // node-1 (ix 2) knows every other node; node-2 (ix 3) crashes at 100 s. node-1's deadline runs from one
  // beat before its first PING after the crash (SCALE-3), or from two probe rounds (60 s) without one.
  test.each([
    { name: "PINGed at the first beat, never suspects by 150 s", pings: [101_000], backMs: 150_000, suspectMs: null, deadMs: null, missed: [1, 0] },
    { name: "PINGed at the first beat, suspects at 130 s", pings: [101_000], backMs: 150_000, suspectMs: 130_000, deadMs: null, missed: [0, 0] },
    { name: "PINGed at the first beat, down until 200 s, never dead", pings: [101_000], backMs: 200_000, suspectMs: 130_000, deadMs: null, missed: [0, 1] },
    { name: "first PINGed at 180 s, back at 200 s: not yet due", pings: [180_000], backMs: 200_000, suspectMs: null, deadMs: null, missed: [0, 0] },
    { name: "first PINGed at 150 s, back at 200 s: due at 180 s", pings: [150_000, 160_000], backMs: 200_000, suspectMs: null, deadMs: null, missed: [1, 0] },
    { name: "never PINGed, back at 150 s: within two rounds", pings: [], backMs: 150_000, suspectMs: null, deadMs: null, missed: [0, 0] },
    { name: "PINGed only before the crash, back at 150 s", pings: [95_000], backMs: 150_000, suspectMs: null, deadMs: null, missed: [0, 0] },
    { name: "never PINGed, back at 210 s: two rounds and the rule's beats passed", pings: [], backMs: 210_000, suspectMs: null, deadMs: null, missed: [1, 0] },
  ])("outage seen by an observer held to its own PINGs: $name", ({ pings, backMs, suspectMs, deadMs, missed }) => {
    const c = fresh();
    for (const peer of ["bot-alpha", "bot-charlie", "node-2"]) c.event(2, { type: "peer_added", peer, via: "peer_list" }, 1_000);
    const at = [...pings.map((t) => ({ t, f: () => c.pinged(2, 3, t) })), { t: 100_000, f: () => c.crashed(3, 100_000) }];
    if (suspectMs !== null) at.push({ t: suspectMs, f: () => c.event(2, { type: "peer_status", peer: "node-2", from: "alive", to: "suspect" }, suspectMs) });
    if (deadMs !== null) at.push({ t: deadMs, f: () => c.event(2, { type: "peer_status", peer: "node-2", from: "suspect", to: "dead" }, deadMs) });
    at.push({ t: backMs, f: () => c.restarted(3, backMs, true) });
    for (const e of at.sort((a, b) => a.t - b.t)) e.f();
    const fig = c.finish(300_000, members.map(() => null));
    const out = fig.failureDetection.outages.find((x) => x.node === "node-2")!;
    expect([out.missedSuspect, out.missedDead]).toEqual([...missed]);
    // node-1 is the one observer: whatever it did not see was missed or not yet due.
    expect([out.missedSuspect + out.notDueSuspect, out.missedDead + out.notDueDead]).toEqual([suspectMs === null ? 1 : 0, deadMs === null ? 1 : 0]);
  });

  test("an audit is judged against the view model", () => {
    const c = fresh();
    const truth = new ViewTruth("s").count("show:x", 7);
    c.event(2, { type: "audit", content_id: "show:x", epoch: 7, agreed_count: truth, confidence: 1, voters: [] }, 1);
    c.event(3, { type: "audit", content_id: "show:x", epoch: 7, agreed_count: truth + 1, confidence: 1, voters: [] }, 1);
    c.event(3, { type: "audit", content_id: "show:x", epoch: 7, agreed_count: truth, confidence: 1, voters: [] }, 1);
    expect(c.fig.audits).toMatchObject({ total: 3, correct: 2, honestTotal: 3, repeated: 1 });
  });

  test("events that disagree with a snapshot are caught", () => {
    const c = fresh();
    c.event(2, { type: "peer_added", peer: "bot-alpha", via: "bootstrap" }, 1);
    const snap = simulate({ nodes: 3, minutes: 0.1, liars: 0, wire: "object" });
    expect(snap.figures.anomalies.snapshotMismatches).toBe(0);
    const fig = c.finish(10_000, [null, null, { id: "node-1", persona: "node", atMs: 0, peers: [], counters: null as never, rttP50Ms: null, audits: [], peerAudits: [], senders: [] }, null]);
    expect(fig.anomalies.snapshotMismatches).toBe(1);
  });

  test("heavy loss makes the checkers see suspicions, and the loss-free property is not judged", () => {
    const r = simulate({ nodes: 6, minutes: 4, liars: 0, loss: 0.85, seed: 5, wire: "object" });
    expect(r.network.dropped.loss).toBeGreaterThan(0);
    expect(r.figures.failureDetection.falseSuspicions).toBeGreaterThan(0);
    expect(judge(r).some((v) => v.name === "no live node falsely suspected")).toBe(false);
  });
});

describe("options", () => {
  test.each([
    [{ nodes: 4, liars: 4 }, "liars"],
    [{ nodes: 1 }, "nodes"],
    [{ dup: 1.5 }, "dup"],
    [{ nodes: 5, liars: 1, crash: 4 }, "crash"],
  ])("%j is refused, naming %s", (input, path) => {
    const r = SimOptions.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain(path);
  });
});

describe("command line", () => {
  const run = (args: string[]) => {
    const p = Bun.spawnSync(["bun", join(import.meta.dir, "..", "..", "src", "sim", "main.ts"), ...args]);
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  test("prints one JSON object with --json and exits 0 when every property holds", () => {
    const r = run(["--nodes", "5", "--minutes", "1", "--liars", "1", "--seed", "3", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.options).toMatchObject({ nodes: 5, minutes: 1, seed: "3", liars: 1 });
    expect(j.ok).toBe(true);
    expect(typeof j.traceHash).toBe("string");
    expect(j.perf.wallMs).toBeGreaterThan(0);
  });

  test("prints the seed that replays a failed property and exits 1", () => {
    // Nine messages in ten lost: discovery cannot converge in one minute.
    const r = run(["--nodes", "6", "--minutes", "1", "--liars", "0", "--seed", "42", "--loss", "0.9"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("FAIL");
    expect(r.err).toContain("seed 42");
    expect(r.err).toContain("--loss 0.9");
  });

  test("a bad option is one line, no stack trace, exit 2", () => {
    const r = run(["--nodes", "3", "--liars", "5"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("liars");
    expect(r.err).not.toContain("    at ");
  });
});

describe("options", () => {
  test.each([
    [10_000, true],
    [10_001, false],
    [1, false],
  ])("%d nodes: accepted %p", (nodes, ok) => {
    expect(SimOptions.safeParse({ nodes }).success).toBe(ok);
  });
});
