/**
 * Credentials and request signatures never reach the logs or /health: a
 * fleet runs with known fake AWS keys in its environment, at debug level,
 * with a command node that prints its own environment, in local mode and in
 * AWS mode through the endpoint override (a standalone embedded SQS on
 * another port, which goes away for a while so that errors are logged too).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { startEmbeddedSqs, type EmbeddedSqs } from "../../src/sqs/embedded.ts";
import { BOTS, FAST_TIMING, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const KEYS = {
  AWS_ACCESS_KEY_ID: "AKIAFAKEKEYFORTEST42",
  AWS_SECRET_ACCESS_KEY: "fAkE/SeCrEt+KeY0123456789abcdefghijklmnop",
  AWS_SESSION_TOKEN: "FakeSessionToken//ZXhhbXBsZS10b2tlbi1mb3ItdGVzdHM=",
};
/** What a SigV4 signature or a leaked header would look like in a line. */
const SIGNATURE_MARKS = ["AWS4-HMAC-SHA256", "Signature=", "X-Amz-Signature", "x-amz-security-token", "Credential=", "authorization"];

const NODES = `
nodes:
  - { id: bot-alpha, persona: bot-alpha }
  - { id: bot-bravo, persona: bot-bravo }
  - { id: printer, command: 'echo "id=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY token=$AWS_SESSION_TOKEN"; env; exec sleep 600' }
`;

const fleets: FleetProc[] = [];
let standalone: EmbeddedSqs | null = null;

afterAll(async () => {
  for (const f of fleets) f.kill();
  await standalone?.stop();
});

function leaks(text: string): string[] {
  return [...Object.values(KEYS), ...SIGNATURE_MARKS].filter((s) => text.toLowerCase().includes(s.toLowerCase()));
}

async function exercise(f: FleetProc): Promise<string> {
  await until("the bots running", 20_000, async () => (await f.health()).nodes.filter((n) => BOTS.includes(n.id)).every((n) => n.state === "running"));
  // The printer's line has reached the stream.
  await until("the command node's output", 10_000, async () => f.logs().some((o) => o.node === "printer" && String(o.msg).startsWith("id=")));
  await Bun.sleep(1_500);
  return JSON.stringify(await f.health());
}

describe("secrets stay out of logs and /health", () => {
  test("local mode, with AWS keys in the environment", async () => {
    const f = await startFleetProc(`network: { port: 0 }\n${FAST_TIMING}\ncontrol: { port: 0 }\nhealth: { every: 1 }\nlog_level: debug\n${NODES}`, { env: KEYS });
    fleets.push(f);
    const health = await exercise(f);
    expect(await f.stop()).toBe(0);
    const all = f.lines.join("\n");
    // The run did log a lot (debug traffic, health tables, the printer's environment): there was something to leak.
    expect(f.lines.length).toBeGreaterThan(100);
    expect(all).toContain("[Redacted]");
    expect({ logs: leaks(all), health: leaks(health) }).toEqual({ logs: [], health: [] });
  }, 40_000);

  test("AWS mode through AWS_ENDPOINT_URL_SQS, with requests failing for a while", async () => {
    standalone = await startEmbeddedSqs({ port: 0 });
    const f = await startFleetProc(
      `network: { sqs: aws, create_queues: true }\n${FAST_TIMING}\ncontrol: { port: 0 }\nhealth: { every: 1 }\nlog_level: debug\n${NODES}`,
      { env: { ...KEYS, AWS_ENDPOINT_URL_SQS: standalone.endpoint } },
    );
    fleets.push(f);
    expect(f.sqsEndpoint).toBe(standalone.endpoint);
    await exercise(f);
    // Failures are logged with their details: none of them may carry the keys or a signature.
    await standalone.pause();
    await until("the bots degraded", 10_000, async () => (await f.health()).nodes.filter((n) => BOTS.includes(n.id)).every((n) => n.state === "degraded"));
    await Bun.sleep(1_000);
    await standalone.resume();
    await until("the bots running again", 30_000, async () => (await f.health()).nodes.filter((n) => BOTS.includes(n.id)).every((n) => n.state === "running"), 200);
    const health = JSON.stringify(await f.health());
    expect(await f.stop()).toBe(0);
    const all = f.lines.join("\n");
    expect(f.logs().some((o) => o.msg === "SQS unreachable; retrying with backoff")).toBe(true);
    expect({ logs: leaks(all), health: leaks(health) }).toEqual({ logs: [], health: [] });
    // The printer did get the real keys (it needs them to reach Amazon): only their printing was redacted.
    expect(f.logs().find((o) => o.node === "printer" && String(o.msg).startsWith("id="))?.msg).toBe("id=[Redacted] secret=[Redacted] token=[Redacted]");
  }, 70_000);
});
