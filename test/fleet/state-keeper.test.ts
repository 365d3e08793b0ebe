import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultNodeConfig } from "../../src/core/config.ts";
import { createNode } from "../../src/core/node.ts";
import { createRng } from "../../src/core/rng.ts";
import { createStateKeeper } from "../../src/fleet/state-keeper.ts";

const stateOf = (id: string) => createNode(defaultNodeConfig(id, "node"), createRng(id), 0).exportState();

function recorder() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
  return { lines, log: { info: at("info"), warn: at("warn"), error: at("error") } };
}

const undo: Array<() => void> = [];
afterEach(() => {
  for (const f of undo.splice(0).reverse()) f();
});

/**
 * A directory no file can be written into. chmod is enough for a user; root
 * writes through it, so as root the directory is made immutable as well
 * (chattr +i), where the file system allows it.
 */
function readOnlyDir(): { dir: string; writable: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "state-ro-"));
  chmodSync(dir, 0o555);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) Bun.spawnSync(["chattr", "+i", dir]);
  const writable = () => {
    if (asRoot) Bun.spawnSync(["chattr", "-i", dir]);
    chmodSync(dir, 0o755);
  };
  undo.push(() => {
    writable();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, writable };
}

function refusesWrites(dir: string): boolean {
  try {
    writeFileSync(join(dir, "probe"), "x");
    rmSync(join(dir, "probe"));
    return false;
  } catch {
    return true;
  }
}

/** A state directory whose path runs through a regular file: ENOTDIR for everyone, root included. */
function throughAFile(): { dir: string; writable: () => void } {
  const base = mkdtempSync(join(tmpdir(), "state-notdir-"));
  writeFileSync(join(base, "blocker"), "a file where a folder should be");
  undo.push(() => rmSync(base, { recursive: true, force: true }));
  return { dir: join(base, "blocker", "state"), writable: () => rmSync(join(base, "blocker")) };
}

const probe = readOnlyDir();
const readOnlyHere = refusesWrites(probe.dir);
undo.splice(0).forEach((f) => f());
if (!readOnlyHere) console.warn("skip: no read-only directory can be made here (root without chattr +i); the ENOTDIR case still runs");

describe("a state save that fails is reported once, never thrown, and tried again", () => {
  test.each([
    ["a read-only directory", readOnlyDir, !readOnlyHere],
    ["a path through a regular file", throughAFile, false],
  ] as const)("%s", (_name, make, skip) => {
    if (skip) {
      if (process.env.CI === "true") throw new Error("no read-only directory could be made (as root, chattr +i must work on the temp dir)");
      return;
    }
    const { dir, writable } = make();
    const { lines, log } = recorder();
    let nowMs = 1_000;
    const keeper = createStateKeeper({ dir, everyMs: 0, log, now: () => nowMs });
    keeper.note("bot-alpha", stateOf("bot-alpha"));
    keeper.note("bot-bravo", stateOf("bot-bravo"));

    expect(() => keeper.save()).not.toThrow();
    nowMs += 1_000;
    expect(() => keeper.save()).not.toThrow();
    // Four failures (two nodes, two saves) in one window: one line, naming the node, the file and the error.
    const errors = lines.filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toStartWith("could not save the state of bot-alpha: ");
    expect(errors[0]!.fields).toMatchObject({ target: "bot-alpha", file: join(dir, "bot-alpha.json"), held_back: 0 });
    expect(existsSync(join(dir, "bot-alpha.json"))).toBe(false);

    // The states were kept: once the directory can be written, the next save writes both.
    writable();
    keeper.stop();
    expect(lines.filter((l) => l.level === "error")).toHaveLength(1);
    const reader = createStateKeeper({ dir, everyMs: 0, log });
    expect(reader.load("bot-alpha")).toEqual(stateOf("bot-alpha"));
    expect(reader.load("bot-bravo")).toEqual(stateOf("bot-bravo"));
    reader.stop();
  });
});
