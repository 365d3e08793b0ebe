import yargs from "yargs";
import { z } from "zod";
import { SimOptions, type SimOptionsInput } from "./options.ts";
import { formatTable, replayArgs, type Perf } from "./report.ts";
import { simulate } from "./run.ts";
import type { SimReport } from "./report-types.ts";
import { formatSweep, sweep } from "./sweep.ts";

/** Parses the simulator's command line; the schema in options.ts fills the defaults and checks the values. */
export function parseArgs(argv: string[]): SimOptionsInput & { seeds?: number } {
  const a = yargs(argv)
    .scriptName("bun run sim")
    .usage("$0 [options]: a seeded simulation of the whole protocol under faults")
    .option("nodes", { type: "number", describe: "nodes in the fleet (default 50)" })
    .option("minutes", { type: "number", describe: "virtual minutes (default 30)" })
    .option("seed", { type: "string", describe: "seed every random choice derives from (default 1)" })
    .option("liars", { type: "number", describe: "nodes that report right half the time (default 5)" })
    .option("bootstraps", { type: "number", describe: "bot-alpha bootstrap nodes (default 1)" })
    .option("dup", { type: "number", describe: "share of messages delivered twice (default 0.1)" })
    .option("reorder", { type: "number", describe: "share of messages held back up to 5 s (default 0.1)" })
    .option("loss", { type: "number", describe: "share of messages lost (default 0)" })
    .option("crash", { type: "number", describe: "nodes crashed and restarted once (default 0)" })
    .option("restart", { choices: ["fresh", "persisted"] as const, describe: "what a restarted node remembers (default fresh)" })
    .option("silence", { type: "number", describe: "nodes whose sends are lost for a while (default 0)" })
    .option("partition", { type: "boolean", describe: "split the fleet in two for 2 minutes, then heal" })
    .option("bootstrap-late", { type: "number", describe: "ms the bootstrap bots start after the others (default 0)" })
    .option("skew", { type: "number", describe: "clock skew per node, up to ± this many ms (default 1000)" })
    .option("wire", { choices: ["json", "object", "auto"] as const, describe: "encode and parse every message, or hand objects over (default auto)" })
    .option("json", { type: "boolean", describe: "print one JSON object instead of the table" })
    .option("seeds", { type: "number", describe: "run this many seeds from --seed on and print the worst case of each figure" })
    .strict()
    .help()
    .exitProcess(false)
    // One line from runSim instead of the whole usage: the message says what was wrong.
    .fail((msg, err) => {
      throw err ?? new Error(`${msg} (see --help)`);
    })
    .parseSync();
  const pick: Record<string, unknown> = {
    nodes: a.nodes,
    minutes: a.minutes,
    seed: a.seed,
    liars: a.liars,
    bootstraps: a.bootstraps,
    dup: a.dup,
    reorder: a.reorder,
    loss: a.loss,
    crash: a.crash,
    restart: a.restart,
    silence: a.silence,
    partition: a.partition,
    skewMaxMs: a.skew,
    bootstrapLateMs: a["bootstrap-late"],
    wire: a.wire,
    json: a.json,
    seeds: a.seeds,
  };
  return Object.fromEntries(Object.entries(pick).filter(([, v]) => v !== undefined)) as SimOptionsInput & { seeds?: number };
}

function measure(startMs: number): Perf {
  const mem = process.memoryUsage();
  const MiB = 1024 * 1024;
  return {
    wallMs: performance.now() - startMs,
    rssMiB: mem.rss / MiB,
    // resourceUsage reports the peak in KiB.
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    heapUsedMiB: mem.heapUsed / MiB,
  };
}

/**
 * `bun run sim`: one run, its figures as a table (or one JSON object), and
 * the exit code: 0 when every property held, 1 when one failed (the seed to
 * replay it is printed), 2 for options that do not validate.
 */
export async function runSim(args: string[] | (SimOptionsInput & { seeds?: number })): Promise<number> {
  let input: SimOptionsInput & { seeds?: number };
  try {
    input = Array.isArray(args) ? parseArgs(args) : args;
  } catch (err) {
    console.error(`sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
    return 2;
  }
  if (Array.isArray(args) && (args.includes("--help") || args.includes("-h"))) return 0;
  const { seeds, ...single } = input;
  const parsed = SimOptions.safeParse(single);
  if (!parsed.success) {
    console.error(`sim: ${z.prettifyError(parsed.error)}`);
    process.exitCode = 2;
    return 2;
  }
  if (seeds !== undefined) return runSeeds(parsed.data, seeds);
  const startMs = performance.now();
  const report: SimReport = simulate(parsed.data);
  const perf = measure(startMs);
  if (parsed.data.json) {
    const { options, ...rest } = report;
    console.log(JSON.stringify({ options, ...rest, perf, replay: report.ok ? undefined : replayArgs(report) }));
  } else {
    console.log(formatTable(report, perf));
  }
  if (!report.ok) {
    console.error(`sim: a property failed; replay with seed ${report.options.seed}: bun src/sim/main.ts ${replayArgs(report)}`);
    process.exitCode = 1;
    return 1;
  }
  return 0;
}

/** `--seeds N`: the same options over N consecutive seeds (numeric seeds only), worst case of each figure. */
function runSeeds(o: SimOptions, count: number): number {
  const first = Number(o.seed);
  if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1) {
    console.error("sim: --seeds needs a whole number of seeds and a numeric --seed to start from");
    process.exitCode = 2;
    return 2;
  }
  const startMs = performance.now();
  const result = sweep(o, Array.from({ length: count }, (_, i) => first + i));
  const perf = measure(startMs);
  if (o.json) console.log(JSON.stringify({ ...result, perf }));
  else console.log(`${formatSweep(result)}\nwall time ${(perf.wallMs / 1000).toFixed(1)} s`);
  if (result.failures.length > 0) {
    console.error(`sim: ${result.failures.length} of ${result.runs} seeds failed; replay one with --seed ${result.failures[0]!.seed}`);
    process.exitCode = 1;
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  await runSim(process.argv.slice(2));
}
