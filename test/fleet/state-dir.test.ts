/**
 * A state directory that cannot be made or written stops `fleet up` before
 * anything starts, in one message naming the flag or key, exit code 2: a
 * fleet left running for weeks on it would save nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/fleet/cli-context.ts";
import { checkStateDir } from "../../src/fleet/up.ts";
import { ROOT } from "../support/fleet-proc.ts";

const dir = mkdtempSync(join(tmpdir(), "state-dir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const aFile = join(dir, "a-file");
writeFileSync(aFile, "");

describe("checkStateDir", () => {
  test.each<[string, string, boolean, string[] | "ok"]>([
    ["a folder to make, nested", join(dir, "new", "state"), false, "ok"],
    ["a folder that exists", dir, true, "ok"],
    ["under a file, from the flag", join(aFile, "state"), true, [`--state-dir ${join(aFile, "state")}: cannot make or write that folder (ENOTDIR)`, "a folder you may write to"]],
    ["under a file, from the file", join(aFile, "state"), false, [`f.yaml: state.dir (${join(aFile, "state")})`, "(ENOTDIR)", "or pass --state-dir D"]],
    ["a file, not a folder", aFile, true, ["cannot make or write that folder (EEXIST)"]],
  ])("%s", (_name, path, fromFlag, want) => {
    let err: unknown = null;
    try {
      checkStateDir(path, "f.yaml", fromFlag);
    } catch (e) {
      err = e;
    }
    if (want === "ok") {
      expect(err).toBeNull();
      expect(existsSync(path)).toBe(true);
      // The probe is gone: nothing but what the fleet writes is left there.
      expect(readdirSync(path).filter((n) => n.startsWith(".write-test"))).toEqual([]);
      return;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe(2);
    for (const part of want) expect((err as UserError).message).toContain(part);
  });
});

test("fleet up on a state.dir it cannot write: one line, exit 2, nothing started", () => {
  const file = join(dir, "fleet.yaml");
  writeFileSync(file, ["network: { port: 0 }", "control: { port: 0 }", "state: { dir: a-file/state }", "nodes:", "  - { id: bot-alpha, persona: bot-alpha }", ""].join("\n"));
  const r = Bun.spawnSync(["bun", "src/cli.ts", "fleet", "up", "--file", file, "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(2);
  expect(r.stdout.toString()).toBe("");
  expect(r.stderr.toString().trim().split("\n")).toEqual([expect.stringContaining(`${file}: state.dir (${join(aFile, "state")}): cannot make or write that folder (ENOTDIR)`)]);
});
