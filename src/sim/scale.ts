import { join } from "node:path";
import yargs from "yargs";

/**
 * The simulator's scale benchmark (not a test): fleets of growing size, each
 * run in its own process so that its memory is its own. Prints wall time,
 * peak RSS, heap and the message volume per size.
 *
 *     bun src/sim/scale.ts --sizes 8,50,200,1000 --minutes 30
 */
export interface ScaleRow {
  nodes: number;
  minutes: number;
  ok: boolean;
  wallS: number;
  maxRssMiB: number;
  heapUsedMiB: number;
  messages: number;
  messagesPerWallS: number;
  perNodePerMinute: number;
}

/** A run that takes longer than this is stopped and reported as such. */
export const SCALE_RUN_TIMEOUT_MS = 60 * 60_000;

export function runOne(nodes: number, minutes: number, seed: string, liars: number): ScaleRow | { nodes: number; error: string } {
  const main = join(import.meta.dir, "main.ts");
  const p = Bun.spawnSync(
    ["bun", main, "--nodes", String(nodes), "--minutes", String(minutes), "--seed", seed, "--liars", String(liars), "--json"],
    { timeout: SCALE_RUN_TIMEOUT_MS, stderr: "pipe", stdout: "pipe" },
  );
  const line = p.stdout.toString().trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line);
    return {
      nodes,
      minutes,
      ok: j.ok,
      wallS: j.perf.wallMs / 1000,
      maxRssMiB: j.perf.maxRssMiB,
      heapUsedMiB: j.perf.heapUsedMiB,
      messages: j.cost.sent,
      messagesPerWallS: j.cost.sent / (j.perf.wallMs / 1000),
      perNodePerMinute: j.cost.perNodePerMinute,
    };
  } catch {
    return { nodes, error: p.exitCode === null ? "timed out" : p.stderr.toString().trim().split("\n").slice(-3).join(" ") };
  }
}

if (import.meta.main) {
  const a = yargs(process.argv.slice(2))
    .option("sizes", { type: "string", default: "8,50,200,1000", describe: "fleet sizes, comma-separated" })
    .option("minutes", { type: "number", default: 30, describe: "virtual minutes per run" })
    .option("seed", { type: "string", default: "1" })
    .strict()
    .parseSync();
  const sizes = a.sizes.split(",").map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n >= 2);
  console.log("nodes  minutes  ok     wall s   peak RSS MiB  heap MiB  messages     msg/wall s  msg/node/min");
  for (const n of sizes) {
    const r = runOne(n, a.minutes, a.seed, Math.min(5, Math.max(0, Math.floor(n / 8))));
    if ("error" in r) {
      console.log(`${String(n).padStart(5)}  ${String(a.minutes).padStart(7)}  error: ${r.error}`);
      continue;
    }
    console.log(
      [
        String(r.nodes).padStart(5),
        String(r.minutes).padStart(7),
        String(r.ok).padEnd(5),
        r.wallS.toFixed(1).padStart(8),
        r.maxRssMiB.toFixed(0).padStart(13),
        r.heapUsedMiB.toFixed(0).padStart(9),
        String(r.messages).padStart(11),
        r.messagesPerWallS.toFixed(0).padStart(11),
        r.perNodePerMinute.toFixed(0).padStart(13),
      ].join("  "),
    );
  }
}
