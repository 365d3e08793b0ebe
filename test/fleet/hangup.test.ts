/**
 * A hangup (the terminal closing) stops the fleet as Ctrl-C does, unless the
 * fleet was started to outlive its terminal: under `nohup`, SIGHUP was
 * ignored when the process started, and the fleet keeps it ignored.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { hangupIgnored } from "../../src/fleet/hangup.ts";
import { readLines } from "../../src/fleet/logs.ts";
import { botNodes, fleetFile, ROOT, until } from "../support/fleet-proc.ts";

describe("hangupIgnored reads SigIgn of /proc/self/status", () => {
  test.each<[string, string | null, boolean]>([
    ["nohup: SIGHUP (bit 0) ignored", "Name:\tbun\nSigPnd:\t0000000000000000\nSigIgn:\t0000000001001001\nSigCgt:\t0\n", true],
    ["a terminal: SIGHUP not ignored", "SigIgn:\t0000000001001000\n", false],
    ["only other signals ignored", "SigIgn:\t0000000000000004\n", false],
    ["no SigIgn line", "Name:\tbun\n", false],
    ["no /proc (macOS)", null, false],
  ])("%s", (_name, text, want) => {
    expect(hangupIgnored(text)).toBe(want);
  });
});

let proc: Subprocess<"ignore", "pipe", "pipe"> | null = null;
afterEach(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  proc = null;
});

describe("fleet up and SIGHUP", () => {
  test.each<[string, string[], boolean]>([
    ["started plainly, a hangup stops it", [], false],
    ["started under nohup, a hangup is ignored; Ctrl-C still stops it", ["nohup"], true],
  ])("%s", async (_name, prefix, underNohup) => {
    // A runner that was itself started under nohup passes the ignored hangup on to every child.
    const survives = underNohup || hangupIgnored();
    const dir = mkdtempSync(join(tmpdir(), "fleet-hangup-"));
    const file = join(dir, "fleet.yaml");
    writeFileSync(file, fleetFile(botNodes(["bot-alpha"])));
    const p = Bun.spawn([...prefix, "bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", file, "--json"], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    proc = p;
    const lines: string[] = [];
    void readLines(p.stdout, (l) => void lines.push(l));
    void readLines(p.stderr, (l) => void lines.push(l));
    const logs = () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
    const up = await until("the fleet_up line", 20_000, () => logs().find((o) => o.event === "fleet_up"));
    const health = async () => (await (await fetch(`${String(up.control_url)}/health`)).json()) as { nodes: Array<{ state: string }> };
    await until("bot-alpha running", 20_000, async () => (await health()).nodes[0]?.state === "running");
    p.kill("SIGHUP");
    if (!survives) {
      expect(await p.exited).toBe(0);
      expect(logs().some((o) => String(o.msg).startsWith("SIGHUP: stopping every node"))).toBe(true);
      return;
    }
    // The fleet answers after the hangup, its node still running: three round trips through its event loop.
    for (let i = 0; i < 3; i++) expect((await health()).nodes[0]?.state).toBe("running");
    p.kill("SIGINT");
    expect(await p.exited).toBe(0);
    const stops = logs().filter((o) => /stopping every node/.test(String(o.msg))).map((o) => String(o.msg).split(":")[0]);
    expect(stops).toEqual(["SIGINT"]);
  }, 40_000);
});
