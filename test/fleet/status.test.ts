/** `fleet status` reads a running fleet's control endpoint; `--aws` means the fleet on Amazon SQS. */
import { afterAll, describe, expect, test } from "bun:test";
import { createControlServer, type ControlServer } from "../../src/fleet/control.ts";
import { UserError } from "../../src/fleet/cli-context.ts";
import { toHealth } from "../../src/fleet/health.ts";
import { runStatus } from "../../src/fleet/status.ts";

const servers: ControlServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function fleetOn(mode: "local" | "aws"): ControlServer {
  const getHealth = () =>
    toHealth({
      nowMs: Date.now(),
      sqs: { mode, endpoint: mode === "local" ? "http://127.0.0.1:4566" : null },
      slots: [{ id: "bot-alpha", persona: "bot-alpha", kind: "builtin", slot: "up", restarts: 0, upSinceMs: Date.now(), runner: null }],
    });
  const s = createControlServer({ port: 0, getHealth });
  servers.push(s);
  return s;
}

async function status(server: ControlServer, aws: boolean): Promise<{ out: string } | { error: string; code: number }> {
  let out = "";
  try {
    await runStatus({ controlPort: server.port, aws }, (s) => (out += s));
    return { out };
  } catch (err) {
    if (err instanceof UserError) return { error: err.message, code: err.code };
    throw err;
  }
}

describe("fleet status --aws", () => {
  const local = fleetOn("local");
  const aws = fleetOn("aws");
  test.each<[string, ControlServer, boolean, RegExp]>([
    ["a fleet on the embedded SQS, no flag: its table", local, false, /\(sqs local http:\/\/127\.0\.0\.1:4566\)/],
    ["a fleet on Amazon SQS, no flag: its table", aws, false, /\(sqs aws\)/],
    ["a fleet on Amazon SQS, --aws: its table", aws, true, /\(sqs aws\)/],
  ])("%s", async (_name, server, flag, want) => {
    const r = await status(server, flag);
    expect("out" in r ? r.out : r.error).toMatch(want);
    expect(r).toHaveProperty("out");
  });

  test("a fleet on the embedded SQS, --aws: refused in one message naming both, exit 1", async () => {
    const r = await status(local, true);
    expect(r).toEqual({ code: 1, error: expect.stringContaining(`The fleet on 127.0.0.1:${local.port} runs on the embedded SQS, not on Amazon SQS (--aws)`) });
  });
});
