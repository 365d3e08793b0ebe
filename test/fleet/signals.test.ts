/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group, so the
 * fleet gets it once from the terminal and once more from `bun run`, which
 * forwards it. That is one press, not two.
 */
import { afterEach, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { botNodes, fleetFile, ROOT, until } from "../support/fleet-proc.ts";

let child: ChildProcess | null = null;
afterEach(() => {
  // A failed test must not leave a fleet running: the whole group goes.
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  child = null;
});

interface Run {
  pid: number;
  dir: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** `bun run fleet up` in a process group of its own, as a terminal would start it. */
function fleetUpInGroup(nodes: readonly string[]): Run {
  const dir = mkdtempSync(join(tmpdir(), "fleet-signals-"));
  const file = join(dir, "fleet.yaml");
  writeFileSync(file, fleetFile(nodes));
  const c = spawn("bun", ["run", "fleet", "up", "--file", file, "--json"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child = c;
  const lines: string[] = [];
  let buf = "";
  const onData = (d: Buffer) => {
    buf += d.toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  };
  c.stdout!.on("data", onData);
  c.stderr!.on("data", onData);
  const exited = new Promise<number | null>((res) => c.on("exit", (code) => res(code)));
  return { pid: c.pid!, dir, lines, exited };
}

const json = (lines: string[]) =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

async function allRunning(run: Run, n: number): Promise<void> {
  await until(`${n} nodes running`, 20_000, async () => {
    const up = json(run.lines).find((o) => o.event === "fleet_up");
    if (!up) return null;
    const h = (await (await fetch(`${String(up.control_url)}/health`)).json()) as { nodes: Array<{ state: string }> };
    return h.nodes.length === n && h.nodes.every((x) => x.state === "running");
  });
}

/** The fleet's own process: the child of `bun run`. */
function fleetPid(run: Run): number {
  const out = Bun.spawnSync(["pgrep", "-P", String(run.pid)]).stdout.toString().trim().split("\n").filter(Boolean);
  if (out.length !== 1) throw new Error(`expected one child of bun run, got ${JSON.stringify(out)}`);
  return Number(out[0]);
}

const stopping = (run: Run) => async () => json(run.lines).some((o) => /stopping every node/.test(String(o.msg)));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("SIGINT to the process group, and bun run's forwarded copy, is one press: every node stops, final table, exit 0", async () => {
  const run = fleetUpInGroup(botNodes());
  await allRunning(run, 3);
  const fleet = fleetPid(run);
  process.kill(-run.pid, "SIGINT");
  await until("the fleet stopping", 5_000, stopping(run), 5);
  // However the two copies race, the fleet sees the second one after the first: send it now
  // (unless the fleet is gone already, which is what the fix is for).
  try {
    process.kill(fleet, "SIGINT");
  } catch {}
  const code = await run.exited;
  const logs = json(run.lines);
  expect({ code, tail: code === 0 ? [] : run.lines.slice(-5) }).toEqual({ code: 0, tail: [] });
  expect(logs.filter((o) => /second signal/.test(String(o.msg)))).toEqual([]);
  const final = logs.find((o) => o.msg === "final health") as { health: { nodes: Array<{ id: string; state: string }> } } | undefined;
  expect(final?.health.nodes.map((n) => [n.id, n.state])).toEqual([
    ["bot-alpha", "stopped"],
    ["bot-bravo", "stopped"],
    ["bot-charlie", "stopped"],
  ]);
  expect(logs.some((o) => o.event === "fleet_down")).toBe(true);
}, 40_000);

test("a second press more than a second later exits at once (130) and takes the command nodes with it", async () => {
  // A node that ignores SIGTERM keeps the fleet stopping for its whole 5 s bound.
  const stubborn = `{ id: stubborn, command: "trap '' TERM; echo $$ > pid; while :; do sleep 0.1; done" }`;
  const run = fleetUpInGroup([...botNodes(["bot-alpha"]), stubborn]);
  await allRunning(run, 2);
  const nodePid = await until("the command node's pid", 5_000, async () => {
    try {
      return Number(readFileSync(join(run.dir, "pid"), "utf8").trim()) || null;
    } catch {
      return null;
    }
  });
  process.kill(-run.pid, "SIGINT");
  await until("the fleet stopping", 5_000, stopping(run), 5);
  await Bun.sleep(1_500);
  expect(alive(nodePid)).toBe(true);
  process.kill(fleetPid(run), "SIGINT");
  expect(await run.exited).toBe(130);
  expect(json(run.lines).some((o) => /second signal: exiting at once/.test(String(o.msg)))).toBe(true);
  await until("the command node gone", 5_000, async () => !alive(nodePid));
}, 40_000);
