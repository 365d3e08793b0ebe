/**
 * The done-when of the course: the lab notebook's code cells, taken from the
 * notebook as they stand, run in order with boto3 against `fleet up` on the
 * repository's fleet.yaml. Only what a student fills in is set: MY_NAME, the
 * keys (dummy ones) and the endpoint. Every cell must run, and exercise 2
 * must print bot-alpha's PEER_LIST.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeWith, pythonWith } from "../support/outside.ts";
import { BOTS, ROOT, startFleetProc, type FleetProc } from "../support/fleet-proc.ts";

const NOTEBOOK = join(ROOT, "..", "shared", "seed", "p2p-protocol-lab.md");
const DRIVER = join(import.meta.dir, "..", "support", "notebook.py");
const python = pythonWith(["boto3"]);

interface CellRun {
  cell: number;
  title: string;
  ok: boolean;
  out: string;
  error: string | null;
}

describeWith(python)("the lab notebook against fleet up", () => {
  let f: FleetProc;
  beforeAll(async () => {
    // The repository's own fleet file, on free ports so that it runs beside anything else.
    f = await startFleetProc(readFileSync(join(ROOT, "fleet.yaml"), "utf8"), { args: ["--sqs-port", "0", "--control-port", "0"], debug: false });
  }, 30_000);
  afterAll(async () => {
    await f?.stop();
    f?.kill();
  });

  test("every one of its 22 code cells runs, and exercise 2 prints bot-alpha's PEER_LIST", async () => {
    const proc = Bun.spawn([python.found!, DRIVER, NOTEBOOK, "hugo"], {
      // Nothing of the machine's AWS set-up: only the endpoint, as the README tells a student to export.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", AWS_ENDPOINT_URL_SQS: f.sqsEndpoint, AWS_EC2_METADATA_DISABLED: "true" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const cells = out.trim().split("\n").map((l) => JSON.parse(l) as CellRun);
    expect(cells.map((c) => c.cell)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(cells.filter((c) => !c.ok).map((c) => `${c.title}\n${c.error}`)).toEqual([]);

    const byTitle = (prefix: string) => cells.find((c) => c.title.startsWith(prefix))!;
    expect(byTitle("import boto3").out).toContain("Connected to AWS SQS.");
    expect(byTitle("# 1A: Read it back").out).toContain('"hello": "Is anyone there?"');
    expect(byTitle("# 2B:").out).toContain("Roundtrip OK: True");
    expect(byTitle("# 3A:").out).toContain("Sent HELLO to sam!");
    expect(byTitle("# 4: Read back").out).toMatch(/Received \d+ messages/);
    const ex2 = byTitle("# Exercise 2:").out;
    expect(ex2).toContain("PEER_LIST from bot-alpha");
    const discovered = /Discovered peers: (\[.*\])/.exec(ex2)?.[1];
    for (const bot of BOTS) expect(discovered).toContain(`'${bot}'`);
  }, 120_000);
});
