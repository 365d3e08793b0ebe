/**
 * One fleet per state directory: a second `fleet up` on the same folder is
 * refused before anything starts; a claim left by a fleet that died is
 * taken over.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/fleet/cli-context.ts";
import { claimStateDir, STATE_LOCK_FILE } from "../../src/fleet/state-lock.ts";
import { ROOT } from "../support/fleet-proc.ts";

// A process that runs for the whole file: the holder of a live claim.
const holder = Bun.spawn(["sleep", "60"], { stdout: "ignore", stderr: "ignore" });
const root = mkdtempSync(join(tmpdir(), "state-lock-"));
afterAll(() => {
  holder.kill();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function folder(lockText: string | null): string {
  const dir = join(root, `d${n++}`);
  Bun.spawnSync(["mkdir", "-p", dir]);
  if (lockText !== null) writeFileSync(join(dir, STATE_LOCK_FILE), lockText);
  return dir;
}

describe("claimStateDir", () => {
  test.each<[string, () => string | null, "claimed" | "refused"]>([
    ["no claim yet", () => null, "claimed"],
    ["a claim whose fleet died (its pid runs no more)", () => "999999999\n", "claimed"],
    ["a claim that is not a pid", () => "garbage", "claimed"],
    ["an empty claim (a crash between create and write)", () => "", "claimed"],
    ["this process's own claim", () => `${process.pid}\n`, "claimed"],
    ["a claim of a fleet that runs", () => `${holder.pid}\n`, "refused"],
  ])("%s: %s", (_name, lock, want) => {
    const dir = folder(lock());
    const path = join(dir, STATE_LOCK_FILE);
    let release: (() => void) | null = null;
    let err: unknown = null;
    try {
      release = claimStateDir(dir, "--state-dir D");
    } catch (e) {
      err = e;
    }
    if (want === "refused") {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).code).toBe(2);
      expect((err as UserError).message).toContain(`--state-dir D is in use by another fleet up (pid ${holder.pid})`);
      expect((err as UserError).message).toContain(`delete ${path}`);
      expect(readFileSync(path, "utf8").trim()).toBe(String(holder.pid));
      return;
    }
    expect(err).toBeNull();
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    release!();
    expect(existsSync(path)).toBe(false);
  });

  test("the release leaves a claim that is no longer this process's", () => {
    const dir = folder(null);
    const release = claimStateDir(dir, "d");
    writeFileSync(join(dir, STATE_LOCK_FILE), `${holder.pid}\n`);
    release();
    expect(readFileSync(join(dir, STATE_LOCK_FILE), "utf8").trim()).toBe(String(holder.pid));
  });
});

test("fleet up on a state directory a running fleet holds: one line, exit 2, the claim untouched", () => {
  const dir = folder(null);
  const file = join(dir, "fleet.yaml");
  writeFileSync(file, ["network: { port: 0 }", "control: { port: 0 }", "nodes:", "  - { id: bot-alpha, persona: bot-alpha }", ""].join("\n"));
  const state = join(dir, ".fleet-state");
  Bun.spawnSync(["mkdir", "-p", state]);
  writeFileSync(join(state, STATE_LOCK_FILE), `${holder.pid}\n`);
  const r = Bun.spawnSync(["bun", "src/cli.ts", "fleet", "up", "--file", file, "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(2);
  expect(r.stdout.toString()).toBe("");
  expect(r.stderr.toString().trim().split("\n")).toEqual([expect.stringContaining(`${file}: state.dir (${state}) is in use by another fleet up (pid ${holder.pid})`)]);
  expect(readFileSync(join(state, STATE_LOCK_FILE), "utf8").trim()).toBe(String(holder.pid));
});
