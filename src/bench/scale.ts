import { join } from "node:path";
import { z } from "zod";
import { SimOptions } from "../sim/options.ts";

/**
 * The simulator's scale benchmark (not a test): fleets of growing size, each
 * run in its own process so that its memory is its own. Prints wall time,
 * peak RSS, heap and the message volume per size.
 *
 *     bun run bench --scale 8,50,200,1000 --minutes 30
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
  const main = join(import.meta.dir, "..", "sim", "main.ts");
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

/** `bench --scale` flags: one source of their defaults and bounds. */
export const ScaleFlags = z.strictObject({
  // Each size is a simulator's --nodes, within its bounds; from a small class to a large course.
  sizes: z.array(SimOptions.shape.nodes.unwrap()).min(1).max(20).default([8, 50, 200, 1000]),
  // The simulator's own --minutes and --seed, with their defaults.
  minutes: SimOptions.shape.minutes,
  seed: SimOptions.shape.seed,
});
export type ScaleFlags = z.infer<typeof ScaleFlags>;

/** Runs one simulator per size, one after the other, and prints a line per size as it ends. */
export function runScale(flags: ScaleFlags, out: (line: string) => void): ScaleRow[] {
  out("nodes  minutes  ok     wall s   peak RSS MiB  heap MiB  messages     msg/wall s  msg/node/min");
  const rows: ScaleRow[] = [];
  for (const n of flags.sizes) {
    const r = runOne(n, flags.minutes, flags.seed, Math.min(5, Math.max(0, Math.floor(n / 8))));
    if ("error" in r) {
      out(`${String(n).padStart(5)}  ${String(flags.minutes).padStart(7)}  error: ${r.error}`);
      continue;
    }
    rows.push(r);
    out(
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
  return rows;
}
