/**
 * Port 0 in fleet.yaml lets `fleet up` pick free ports; the commands that
 * reach the running fleet cannot dial port 0, so they say where the picked
 * port was printed, in one message, exit code 2, before touching the network.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reachOf, UserError, type Needed, type ReachFlags } from "../../src/fleet/cli-context.ts";
import { runPeek } from "../../src/fleet/peek.ts";
import { runQueues } from "../../src/fleet/queues.ts";
import { runSend } from "../../src/fleet/send.ts";
import { runStatus } from "../../src/fleet/status.ts";

const dir = mkdtempSync(join(tmpdir(), "reach-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fleetFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [...lines, "nodes:", "  - { id: bot-alpha, persona: bot-alpha }", ""].join("\n"));
  return path;
}

const zeros = fleetFile("zeros.yaml", ["network: { port: 0 }", "control: { port: 0 }"]);
const awsZeros = fleetFile("aws-zeros.yaml", ["network: { sqs: aws, port: 0 }", "control: { port: 4581 }"]);
const fixed = fleetFile("fixed.yaml", ["network: { port: 4999 }", "control: { port: 5000 }"]);

function refusal(run: () => unknown): { code: number; message: string } | "reached" {
  try {
    run();
    return "reached";
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { code: err.code, message: err.message };
  }
}

describe("reaching a fleet whose file says port 0", () => {
  test.each<[string, ReachFlags, Needed[], string[] | "reached"]>([
    ["the SQS of network.port 0", { file: zeros }, ["sqs"], [`${zeros}: network.port is 0`, "sqs: http://127.0.0.1:N", "--sqs-port N"]],
    ["the control endpoint of control.port 0", { file: zeros }, ["control"], [`${zeros}: control.port is 0`, "control: http://127.0.0.1:N/health", "--control-port N"]],
    ["--sqs-port 0 on the command line", { file: fixed, sqsPort: 0 }, ["sqs"], ["--sqs-port 0,", "--sqs-port N"]],
    ["--control-port 0 on the command line", { file: fixed, controlPort: 0 }, ["control"], ["--control-port 0,", "--control-port N"]],
    ["the flag names the port the file does not know", { file: zeros, sqsPort: 4999 }, ["sqs"], "reached"],
    ["--control-port N with control.port 0", { file: zeros, controlPort: 5000 }, ["control"], "reached"],
    ["the SQS port is not needed for the control endpoint", { file: zeros, controlPort: 5000 }, ["control"], "reached"],
    ["Amazon SQS needs no local port", { file: awsZeros }, ["sqs"], "reached"],
    ["--aws needs no local port either", { file: zeros, aws: true }, ["sqs"], "reached"],
    ["ports the file names", { file: fixed }, ["sqs", "control"], "reached"],
  ])("%s", (_name, flags, needs, want) => {
    const got = refusal(() => reachOf(flags, needs));
    if (want === "reached") expect(got).toBe("reached");
    else {
      expect(got).toMatchObject({ code: 2 });
      for (const part of want) expect(got === "reached" ? "" : got.message).toContain(part);
    }
  });

  // Each command that dials the fleet refuses before it dials: no 5 s connect timeout, no ECONNREFUSED.
  test.each<[string, () => Promise<void>, string]>([
    ["fleet status", () => runStatus({ file: zeros }, () => {}), "control.port is 0"],
    ["fleet status --network", () => runStatus({ file: zeros, network: true }, () => {}), "control.port is 0"],
    ["fleet send", () => runSend({ file: zeros, to: "bot-alpha", type: "HELLO", from: "hugo" }, () => {}), "network.port is 0"],
    ["fleet peek", () => runPeek({ file: zeros, node: "hugo" }, () => {}), "network.port is 0"],
    ["fleet queues", () => runQueues({ file: zeros }, () => {}), "network.port is 0"],
  ])("%s", async (_name, run, says) => {
    const err = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe(2);
    expect((err as UserError).message).toContain(says);
  });
});
