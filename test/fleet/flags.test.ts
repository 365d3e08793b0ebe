import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { z } from "zod";
import { flagsThrough, sameNamedFlags, UserError } from "../../src/fleet/cli-context.ts";
import { FleetFile } from "../../src/fleet/config.ts";
import { applyFlags, checkRunnable, type UpFlags } from "../../src/fleet/up.ts";

const FILE = FleetFile.parse({
  nodes: [
    { id: "bot-alpha", persona: "bot-alpha" },
    { id: "bot-bravo", persona: "bot-bravo" },
  ],
});

function refusal(flags: UpFlags): string {
  try {
    applyFlags(FILE, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe(2);
    return (err as UserError).message;
  }
  throw new Error("expected the flags to be refused");
}

describe("each flag of fleet up overrides its key of the file", () => {
  test.each<[string, UpFlags, (f: FleetFile) => unknown, unknown]>([
    ["--aws", { aws: true }, (f) => f.network.sqs, "aws"],
    ["--aws absent keeps the file's mode", { aws: false }, (f) => f.network.sqs, "local"],
    ["--sqs-port", { sqsPort: 4999 }, (f) => f.network.port, 4999],
    ["--sqs-port 0 picks a free one", { sqsPort: 0 }, (f) => f.network.port, 0],
    ["--create-queues", { createQueues: true }, (f) => f.network.create_queues, true],
    ["--create-queues false", { createQueues: false }, (f) => f.network.create_queues, false],
    ["--control-port", { controlPort: 4999 }, (f) => f.control.port, 4999],
    ["--health-every", { healthEvery: 2.5 }, (f) => f.health.every, 2.5],
    ["--health-every 0 turns tables off", { healthEvery: 0 }, (f) => f.health.every, 0],
    ["--state-dir, relative to where you run", { stateDir: "st" }, (f) => f.state.dir, resolve("st")],
    ["--log-level", { logLevel: "debug" }, (f) => f.log_level, "debug"],
    ["--only keeps the file's nodes", { only: ["bot-bravo"] }, (f) => f.nodes.length, 2],
    ["no flags: the file as it is", {}, (f) => f, FILE],
  ])("%s", (_name, flags, read, expected) => {
    expect(read(applyFlags(FILE, flags))).toEqual(expected);
  });

  test("the keys a flag does not name keep the file's values", () => {
    const f = applyFlags(FILE, { sqsPort: 4999, controlPort: 5000 });
    expect({ ...f, network: { ...f.network, port: FILE.network.port }, control: FILE.control }).toEqual(FILE);
  });
});

describe("a bad flag gets one message naming the flag, exit code 2", () => {
  test.each<[string, UpFlags, string[]]>([
    ["--sqs-port over the range", { sqsPort: 70000 }, ["--sqs-port:", "at most 65535", "70000"]],
    ["--sqs-port negative", { sqsPort: -1 }, ["--sqs-port:", "at least 0"]],
    ["--sqs-port not a number", { sqsPort: Number.NaN }, ["--sqs-port:", "a port, 0-65535", "not a number"]],
    ["--control-port with a fraction", { controlPort: 1.5 }, ["--control-port:", "a port, 0-65535", "1.5"]],
    ["--control-port over the range", { controlPort: 65536 }, ["--control-port:", "at most 65535"]],
    ["--health-every negative", { healthEvery: -1 }, ["--health-every:", "at least 0", "-1"]],
    ["--health-every not a number", { healthEvery: Number.NaN }, ["--health-every:", "not a number"]],
    ["--health-every over a day", { healthEvery: 90000 }, ["--health-every:", "at most 86400"]],
    ["--log-level unknown", { logLevel: "loud" as UpFlags["logLevel"] }, ["--log-level:", "trace, debug, info", '"loud"']],
    ["--only naming a node the file lacks", { only: ["bot-zulu"] }, ["--only:", "no node bot-zulu", "bot-alpha, bot-bravo"]],
  ])("%s", (_name, flags, fragments) => {
    const msg = refusal(flags);
    for (const f of fragments) expect(msg).toContain(f);
    expect(msg.split("\n")).toHaveLength(1);
    expect(msg).not.toMatch(/\n\s+at /);
  });

  test("two bad flags are both named", () => {
    const msg = refusal({ sqsPort: 70000, healthEvery: -1 });
    expect(msg).toContain("--sqs-port:");
    expect(msg).toContain("--health-every:");
  });

  test("a file's keys that no flag names pass the second check unchanged", () => {
    const aws = FleetFile.parse({ network: { sqs: "aws", endpoint: "http://127.0.0.1:9324" }, nodes: FILE.nodes });
    expect(applyFlags(aws, { sqsPort: 1234 }).network).toEqual({ ...aws.network, port: 1234 });
  });
});

describe("any command's flags pass through its own schema the same way", () => {
  const Settings = z.strictObject({
    pingsPerSecond: z.number().positive().default(5),
    window: z.strictObject({ seconds: z.number().int().min(1).default(60) }).default({ seconds: 60 }),
  });
  const through = (flags: ReturnType<typeof sameNamedFlags>) => flagsThrough(Settings, {}, flags);

  test.each<[string, ReturnType<typeof sameNamedFlags>, z.infer<typeof Settings>]>([
    ["no flags: the schema's defaults", [], { pingsPerSecond: 5, window: { seconds: 60 } }],
    ["a flag left undefined keeps the default", sameNamedFlags({ pingsPerSecond: undefined }), { pingsPerSecond: 5, window: { seconds: 60 } }],
    ["a top-level flag", sameNamedFlags({ pingsPerSecond: 2 }), { pingsPerSecond: 2, window: { seconds: 60 } }],
    ["a nested key the base lacks", [{ flag: "window", key: ["window", "seconds"], value: 5 }], { pingsPerSecond: 5, window: { seconds: 5 } }],
  ])("%s", (_name, flags, expected) => {
    expect(through(flags)).toEqual(expected);
  });

  test.each<[string, ReturnType<typeof sameNamedFlags>, string]>([
    ["a camelCase key is named as typed", sameNamedFlags({ pingsPerSecond: 0 }), "--pings-per-second: expected more than 0; got 0"],
    ["a nested key is named by its flag", [{ flag: "window", key: ["window", "seconds"], value: 1.5 }], "--window: expected a whole number, got number 1.5"],
  ])("%s", (_name, flags, message) => {
    let err: unknown;
    try {
      through(flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe(2);
    expect((err as UserError).message).toBe(message);
  });
});

describe("the command line answers a bad flag the same way", () => {
  const ROOT = resolve(import.meta.dir, "..", "..");
  test.each([
    [["fleet", "up", "--sqs-port", "70000"], "--sqs-port: expected at most 65535; got 70000"],
    [["fleet", "up", "--health-every", "-1"], "--health-every: expected at least 0; got -1"],
    [["fleet", "status", "--control-port", "abc"], "--control-port: a port, 0-65535"],
  ])("%p", (args, expected) => {
    const p = Bun.spawnSync(["bun", "src/cli.ts", ...args, "--file", "fleet.yaml"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(2);
    expect(p.stderr.toString()).toContain(expected);
    expect(p.stderr.toString()).not.toMatch(/\n\s+at /);
  });
});

describe("the flags and the file together, as fleet up is about to run them", () => {
  test.each<[string, UpFlags, string | null]>([
    ["--sqs-port on the control port", { sqsPort: 4580 }, "f.yaml cannot run as it is:\n  control.port: 4580 is network.port too"],
    ["--control-port on the SQS's port", { controlPort: 4566 }, "control.port: 4566 is network.port too"],
    ["--aws: the SQS is not on this machine", { aws: true, controlPort: 4566 }, null],
    ["ports of their own", { sqsPort: 5000, controlPort: 5001 }, null],
  ])("%s", (_name, flags, want) => {
    let said: string | null = null;
    try {
      checkRunnable(applyFlags(FILE, flags), "f.yaml");
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).code).toBe(2);
      said = (err as UserError).message;
    }
    if (want === null) expect(said).toBeNull();
    else expect(said).toContain(want);
  });
});
