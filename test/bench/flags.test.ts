/**
 * The measuring commands' flags go through their zod schemas: defaults from
 * one place, a bad value refused in one line naming the flag, exit code 2,
 * before anything starts.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ScaleFlags } from "../../src/bench/scale.ts";
import { SoakFlags, SoakSettings } from "../../src/bench/soak.ts";
import { COURSE_TIMING, timingAtSpeed } from "../../src/bench/course.ts";
import { FleetFile } from "../../src/fleet/config.ts";

const CLI = join(import.meta.dir, "..", "..", "src", "cli.ts");

describe("soak and bench --scale flags", () => {
  test("defaults are the schemas' own", () => {
    expect(SoakFlags.parse({})).toEqual({ seconds: 120, nodes: 8, speed: 10, json: false, chaos: false });
    expect(SoakSettings.parse({}).pingsPerNodePerSecond).toBe(5);
    expect(ScaleFlags.parse({})).toEqual({ sizes: [8, 50, 200, 1000], minutes: 30, seed: "1" });
  });

  test("soak timings are the fleet file's defaults divided by the speed", () => {
    const defaults = FleetFile.parse({ nodes: [{ id: "a", persona: "node" }] }).timing;
    expect(COURSE_TIMING).toEqual(defaults);
    const fast = timingAtSpeed(10);
    for (const k of Object.keys(defaults) as Array<keyof typeof defaults>) expect(fast[k]).toBeCloseTo(defaults[k] / 10, 9);
  });

  test.each([
    [["soak", "--nodes", "2"], /^--nodes: expected at least 3; got 2$/m],
    [["soak", "--nodes", "3.5"], /^--nodes: expected a whole number, got number 3.5$/m],
    [["soak", "--seconds", "abc"], /^--seconds: expected a number, got a value that is not a number/],
    [["soak", "--speed", "0"], /^--speed: expected more than 0; got 0$/m],
    [["soak", "--bogus", "1"], /Unknown argument: bogus/],
    [["bench", "--scale", "1,8"], /^--scale: expected at least 2; got 1$/m],
    [["bench", "--scale", "8", "--minutes", "-1"], /^--minutes: expected more than 0; got -1$/m],
    [["bench", "--minutes", "3"], /^--minutes and --seed go with --scale/],
    // A window of nothing measures nothing: refused before any node starts, with or without --fleet.
    [["bench", "--seconds", "0"], /^--seconds: expected more than 0; got 0$/m],
    [["bench", "--seconds", "-5"], /^--seconds: expected more than 0; got -5$/m],
    [["bench", "--seconds", "abc"], /^--seconds: expected a number, got a value that is not a number/],
    [["bench", "--fleet", "5", "--seconds", "0"], /^--seconds: expected more than 0; got 0$/m],
  ])("%p is refused with one message, exit code 2", (args, message) => {
    const p = Bun.spawnSync(["bun", CLI, ...args], { stdout: "pipe", stderr: "pipe" });
    const err = p.stderr.toString();
    expect(p.exitCode).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\bat .*\.ts:\d+/);
    expect(p.stdout.toString()).toBe("");
  });
});
