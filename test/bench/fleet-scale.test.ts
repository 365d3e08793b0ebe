/**
 * `bench --fleet N` end to end: a real `fleet up` past `threads.pack_above`
 * (so its `node`s share a thread, as in a large fleet), watched from outside
 * until every node sees every other alive, held, and reported as one JSON
 * object whose verdict the exit code repeats.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const CLI = join(import.meta.dir, "..", "..", "src", "cli.ts");
// 14 built-in nodes: past the 12 that get a thread each, so the 11 `node`s are packed.
const NODES = 14;

describe("bench --fleet", () => {
  test(`a fleet of ${NODES} converges, holds and says so in JSON`, async () => {
    const proc = Bun.spawn(["bun", CLI, "bench", "--fleet", String(NODES), "--seconds", "3", "--json"], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    const r = JSON.parse(out);
    expect(r).toMatchObject({ nodes: NODES, worstAlive: NODES - 1, held: true, holdBreaks: 0, sqsErrors: 0, ok: true });
    expect(r.convergedS).toBeGreaterThan(0);
    expect(r.rssPerNodeMiB).toBeGreaterThan(0);
    expect(r.sqsRequestsPerNodePerMin).toBeGreaterThan(0);
  }, 120_000);
});
