import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { loadState, saveState, statePath } from "../../src/fleet/state-store.ts";

const Schema = z.object({ version: z.literal(1), flagged: z.array(z.string()) });

describe("state store", () => {
  test("saves and loads back", () => {
    const dir = mkdtempSync(join(tmpdir(), "state-"));
    saveState(dir, "bot-alpha", { version: 1, flagged: ["bot-charlie"] });
    const r = loadState(dir, "bot-alpha", Schema, 1);
    expect(r).toEqual({ kind: "loaded", state: { version: 1, flagged: ["bot-charlie"] } });
    // No temp file left behind.
    expect(readdirSync(dir)).toEqual(["bot-alpha.json"]);
  });

  test("a missing file is no state", () => {
    const dir = mkdtempSync(join(tmpdir(), "state-"));
    expect(loadState(dir, "hugo", Schema, 1)).toEqual({ kind: "none" });
  });

  test.each([
    ["not JSON", "{nope", "is not valid JSON"],
    ["wrong shape", JSON.stringify({ version: 2, flagged: [] }), "does not match the state schema at version"],
    ["truncated", '{"version":1,"flag', "is not valid JSON"],
  ])("a corrupt file (%s) is reported and set aside", (_name, body, reason) => {
    const dir = mkdtempSync(join(tmpdir(), "state-"));
    writeFileSync(statePath(dir, "hugo"), body);
    const r = loadState(dir, "hugo", Schema, 42);
    expect(r.kind).toBe("corrupt");
    if (r.kind !== "corrupt") return;
    expect(r.reason).toContain(reason);
    expect(existsSync(statePath(dir, "hugo"))).toBe(false);
    expect(existsSync(r.setAsidePath)).toBe(true);
    // The next start finds no state and is not blocked by the damaged file.
    expect(loadState(dir, "hugo", Schema, 43)).toEqual({ kind: "none" });
  });
});

test("a failed save leaves the old state whole and no temp file behind", async () => {
  const { mkdirSync, readdirSync, mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "state-"));
  saveState(dir, "bot-alpha", { version: 1, flagged: [] });
  // hugo.json is a directory: the write goes to the temp file, the rename fails.
  mkdirSync(join(dir, "hugo.json"));
  writeFileSync(join(dir, "hugo.json", "x"), "");
  expect(() => saveState(dir, "hugo", { version: 1, flagged: ["bot-charlie"] })).toThrow();
  expect(readdirSync(dir).sort()).toEqual(["bot-alpha.json", "hugo.json"]);
});
