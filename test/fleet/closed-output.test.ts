/**
 * `fleet up | head`, or `| tee fleet.log` ended by the same Ctrl-C: the
 * reader of stdout goes away. The fleet stops as on Ctrl-C (every node
 * stopped, its state saved), exit code 0, and prints no stack trace.
 */
import { afterEach, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { botNodes, fleetFile, FAST_TIMING, ROOT, until } from "../support/fleet-proc.ts";

let child: ChildProcess | null = null;
afterEach(() => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = null;
});

test.each<[string, (line: Record<string, unknown>) => boolean]>([
  // What `| head -1` does: the reader is gone while the fleet is still starting.
  ["gone after the first line, while the fleet starts", () => true],
  ["gone once the fleet is up", (o) => o.event === "fleet_up"],
])("stdout's reader %s: every node stops and saves, exit 0, no stack trace", async (_name, closeAfter) => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-closed-out-"));
  const file = join(dir, "fleet.yaml");
  // state.every 0: a state file exists only if the stop saved it.
  writeFileSync(file, fleetFile(botNodes(["bot-alpha", "bot-bravo"]), [FAST_TIMING, "state: { every: 0 }"]));
  const c = spawn("bun", ["src/cli.ts", "fleet", "up", "--file", file, "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child = c;
  let err = "";
  c.stderr!.on("data", (d: Buffer) => void (err += d.toString("utf8")));
  const exited = new Promise<number | null>((res) => c.on("exit", (code) => res(code)));
  let buf = "";
  let closed = false;
  c.stdout!.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    for (const line of buf.split("\n").slice(0, -1)) {
      let o: Record<string, unknown> = {};
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {}
      if (!closed && closeAfter(o)) {
        closed = true;
        c.stdout!.destroy();
        return;
      }
    }
    buf = buf.slice(buf.lastIndexOf("\n") + 1);
  });
  const code = await exited;
  expect({ code, err }).toEqual({ code: 0, err: "" });
  await until("both state files", 1_000, () => ["bot-alpha", "bot-bravo"].every((id) => existsSync(join(dir, ".fleet-state", `${id}.json`))));
}, 40_000);
