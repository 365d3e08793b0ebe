/**
 * A second Ctrl-C exits at once, and takes every `command:` node's process
 * group along: the shell fleet.yaml started and whatever that shell started.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SAME_PRESS_MS } from "../../src/fleet/same-press.ts";
import { fleetFile, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

/** Whether a process is still running: gone, or a zombie waiting for a parent to reap it, is not. */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync("/proc/self/stat")) {
    if (!existsSync(stat)) return false;
    try {
      // The state is the field after the parenthesised command name.
      return !/\)\s+Z\b/.test(readFileSync(stat, "utf8"));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Prints its own pid and its child's, then waits for the child. */
const SCRIPT = (ignoreTerm: boolean) => `${ignoreTerm ? "trap '' TERM; " : ""}sleep 300 & echo "pids $$ $!"; wait`;

const fleets: FleetProc[] = [];
const started: number[] = [];
afterAll(() => {
  // Never leave them behind, whatever the test found.
  for (const pid of started) if (running(pid)) process.kill(pid, "SIGKILL");
  for (const f of fleets) {
    f.kill();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

describe("stopping command nodes: neither the shell nor what it started survives", () => {
  // A shell that ignores SIGTERM passes that on to its child; one that does not may still start a child that does.
  // A second press comes a second or more after the first (SAME_PRESS_MS); a fleet whose nodes all stop
  // sooner is down by then, so where hugo's shell goes at once a node that ignores SIGTERM keeps it stopping.
  const STUBBORN = `{ id: stubborn, command: "trap '' TERM; echo stubborn $$; while :; do sleep 0.1; done" }`;
  test.each([
    ["a second SIGINT, the shell and its child ignoring SIGTERM", SCRIPT(true), true, 130, false],
    ["a second SIGINT, the shell gone at SIGTERM and its child ignoring it", "sh ./node.sh", true, 130, true],
    ["one SIGINT, the shell gone at SIGTERM and its child ignoring it", "sh ./node.sh", false, 0, false],
  ] as const)("%s", async (_name, command, twice, exitCode, stubborn) => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-interrupt-"));
    writeFileSync(join(dir, "node.sh"), SCRIPT(true) + "\n");
    const nodes = [`{ id: hugo, command: ${JSON.stringify(command)} }`, ...(stubborn ? [STUBBORN] : [])];
    const f = await startFleetProc(fleetFile(nodes), { dir, debug: false });
    fleets.push(f);
    if (stubborn) {
      const line = await until("the stubborn node's pid", 10_000, () => f.logs().find((o) => o.node === "stubborn" && String(o.msg).startsWith("stubborn ")));
      started.push(Number(String(line.msg).split(" ")[1]));
    }

    const pids = await until("the command node's pids", 10_000, () => {
      const line = f.logs().find((o) => o.node === "hugo" && typeof o.msg === "string" && o.msg.startsWith("pids "));
      return line ? String(line.msg).split(" ").slice(1).map(Number) : null;
    });
    started.push(...pids);
    expect(pids.map(running)).toEqual([true, true]);

    f.proc.kill("SIGINT");
    if (twice) {
      await until("the first SIGINT's orderly stop", 5_000, () => f.logs().some((o) => String(o.msg).startsWith("SIGINT: stopping every node")));
      // Sooner than this after the first, a SIGINT is the same press (bun run forwarding it): a second press is later.
      await Bun.sleep(SAME_PRESS_MS + 100);
      f.proc.kill("SIGINT");
    }
    expect(await Promise.race([f.exited, Bun.sleep(15_000).then(() => "still running")])).toBe(exitCode);
    if (twice) expect(f.logs().some((o) => o.msg === "second signal: exiting at once")).toBe(true);
    // SIGKILL is delivered before the fleet exits; the kernel finishes them a moment later.
    await until("the shell and its child gone", 2_000, () => !pids.some(running));
  }, 30_000);
});
