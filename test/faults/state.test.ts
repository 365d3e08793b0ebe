/**
 * State that survives restarts: a fleet run saves each node's peers and
 * reputations under its state directory (periodically and at stop); a
 * separate `fleet up` on the same directory starts knowing who is flagged.
 * A corrupt file is reported and set aside, and the node starts afresh.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOTS, botNodes, FAST_TIMING, fleetFile, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";


const root = mkdtempSync(join(tmpdir(), "fleet-state-"));
const stateDir = join(root, "state");
const running: FleetProc[] = [];

afterAll(() => {
  for (const f of running) f.kill();
});

describe("state that survives restarts", () => {
  test("a first run saves every node's state, periodically and at stop", async () => {
    const f = await startFleetProc(
      fleetFile(botNodes(), [FAST_TIMING, "state: { every: 1 }"]),
      { args: ["--state-dir", stateDir] },
    );
    running.push(f);
    await until("bot-charlie flagged by both honest bots", 45_000, async () => ((await f.health()).fleet.flagged["bot-charlie"] ?? []).length === 2);
    // Saved while running, not only at the end.
    await until("bot-alpha's file names bot-charlie flagged", 10_000, async () => {
      const p = join(stateDir, "bot-alpha.json");
      return existsSync(p) && JSON.parse(readFileSync(p, "utf8")).flagged.includes("bot-charlie");
    });
    expect(await f.stop()).toBe(0);
    // Each node's state, and its dedupe memory beside it.
    expect(readdirSync(stateDir).sort()).toEqual(BOTS.flatMap((b) => [`${b}.json`, `${b}.seen`]));
    for (const b of ["bot-alpha", "bot-bravo"]) {
      const saved = JSON.parse(readFileSync(join(stateDir, `${b}.json`), "utf8"));
      expect(saved.id).toBe(b);
      expect(saved.flagged).toEqual(["bot-charlie"]);
      expect(saved.peers.map((p: { id: string }) => p.id).sort()).toEqual(BOTS.filter((x) => x !== b));
      const charlie = saved.reputations.find((r: { peer: string }) => r.peer === "bot-charlie");
      expect(charlie.reports).toBeGreaterThanOrEqual(8);
    }
  }, 70_000);

  test("a separate run on the same directory knows at once that bot-charlie is flagged; a corrupt file is set aside", async () => {
    // bot-charlie's own file is damaged between the runs.
    writeFileSync(join(stateDir, "bot-charlie.json"), '{"version":1,"id":"bot-charl');
    // Default timing: epochs of 30 s, so no audit can flag anyone during this test. What it knows, it remembered.
    const f = await startFleetProc(fleetFile(botNodes(), [`state: { dir: ${JSON.stringify(stateDir)} }`]));
    running.push(f);
    const h = await until("the three bots running", 15_000, async () => {
      const h = await f.health();
      return h.nodes.every((n) => n.state === "running") && h;
    });
    expect(h.fleet.flagged).toEqual({ "bot-charlie": ["bot-alpha", "bot-bravo"] });
    const alpha = h.nodes.find((n) => n.id === "bot-alpha")!;
    expect(alpha.peers.find((p) => p.id === "bot-charlie")!.reports).toBeGreaterThanOrEqual(8);
    expect(alpha.audits).toEqual([]);
    expect(f.logs().some((o) => o.msg === "bot-alpha: restored 2 peer(s), flagged: bot-charlie")).toBe(true);

    // The damaged file: one clear line, moved aside, and bot-charlie runs with no saved state.
    const report = f.logs().find((o) => String(o.msg).startsWith(`state file ${join(stateDir, "bot-charlie.json")} is not valid JSON; set aside as`));
    expect(report?.level).toBe(40);
    const aside = readdirSync(stateDir).filter((n) => n.startsWith("bot-charlie.json.corrupt-"));
    expect(aside.length).toBe(1);
    expect(readFileSync(join(stateDir, aside[0]!), "utf8")).toBe('{"version":1,"id":"bot-charl');
    expect(String(report?.set_aside)).toBe(join(stateDir, aside[0]!));
    expect(h.nodes.find((n) => n.id === "bot-charlie")!.restarts).toBe(0);
    expect(f.lines.some((l) => l.includes("    at "))).toBe(false);

    // At stop the fresh state of bot-charlie is written whole again.
    expect(await f.stop()).toBe(0);
    expect(JSON.parse(readFileSync(join(stateDir, "bot-charlie.json"), "utf8")).id).toBe("bot-charlie");
  }, 40_000);
});
