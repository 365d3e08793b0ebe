import { startEmbeddedSqs } from "../sqs/embedded.ts";
import { envOf, type Side } from "./sides.ts";
import {
  idleNode,
  maxRate,
  pingPong,
  steadyLoad,
  threeBots,
  type BotsResult,
  type IdleResult,
  type SteadyLoadResult,
  type MaxRateResult,
  type RttResult,
} from "./scenarios.ts";

export interface BenchOptions {
  json: boolean;
  /** Measured window of the idle and three-bot runs, s. Default 60 (after a 15 s warm-up). */
  seconds?: number;
}

/**
 * What our side must reach for the edge to be worth it: under a fraction of
 * an SQS request per message delivered, PING→PONG in milliseconds, and an
 * idle node or a bot at default timing costing a few requests a minute.
 */
const GOALS = {
  requestsPerMessageMax: 0.4,
  rttP50MsMax: 15,
  rttP99MsMax: 60,
  idlePerMinuteMax: 3,
  botPerMinuteMax: 25,
};

/** Steady load: 200 messages a second for 6 s. */
const LOAD_RATE_PER_S = 200;
const LOAD_SECONDS = 6;
const RTT_SAMPLES = 200;
const WARMUP_S = 15;

interface SideFigures {
  load_tick_bursts: SteadyLoadResult;
  load_even: SteadyLoadResult;
  rtt: RttResult;
  idle: IdleResult;
  bots: BotsResult;
  max_rate: MaxRateResult;
}

export interface BenchReport {
  machine: { cpus: number; bun: string };
  workload: Record<string, string>;
  ours: SideFigures;
  notebook: SideFigures;
  ratios: Record<string, number>;
  goals: Record<string, { goal: number; ours: number; met: boolean }>;
}

function progress(json: boolean, line: string): void {
  if (!json) process.stderr.write(`  … ${line}\n`);
}

export async function runBench(opts: BenchOptions): Promise<void> {
  const windowS = opts.seconds ?? 60;
  const sqs = await startEmbeddedSqs({ port: 0 });
  const env = envOf(sqs);
  const sides: Side[] = ["ours", "notebook"];
  try {
    progress(opts.json, `three bots per side and one idle node per side at default timing (${WARMUP_S} s warm-up + ${windowS} s window)`);
    const [botsOurs, botsNb, idleOurs, idleNb] = await Promise.all([
      threeBots(env, "ours", WARMUP_S, windowS),
      threeBots(env, "notebook", WARMUP_S, windowS),
      idleNode(env, "ours", windowS),
      idleNode(env, "notebook", windowS),
    ]);

    const load: Record<Side, { burst: SteadyLoadResult; even: SteadyLoadResult }> = {} as never;
    const rtt: Record<Side, RttResult> = {} as never;
    for (const side of sides) {
      progress(opts.json, `steady load, ${side}`);
      load[side] = {
        burst: await steadyLoad(env, side, LOAD_RATE_PER_S, 10, LOAD_SECONDS),
        even: await steadyLoad(env, side, LOAD_RATE_PER_S, 1, LOAD_SECONDS),
      };
      progress(opts.json, `PING→PONG round trips, ${side}`);
      rtt[side] = await pingPong(env, side, RTT_SAMPLES);
    }
    progress(opts.json, "largest sustained rate, ours (5 s steps, then 30 s held)");
    const rateOurs = await maxRate(env, "ours", [250, 500, 1000, 2000, 4000, 8000], 5, 30);
    progress(opts.json, "largest sustained rate, notebook (5 s steps, then 10 s held)");
    const rateNb = await maxRate(env, "notebook", [100, 200, 400, 800, 1600, 3200], 5, 10);

    const figures = (side: Side, bots: BotsResult, idle: IdleResult, rate: MaxRateResult): SideFigures => ({
      load_tick_bursts: load[side].burst,
      load_even: load[side].even,
      rtt: rtt[side],
      idle,
      bots,
      max_rate: rate,
    });
    const ours = figures("ours", botsOurs, idleOurs, rateOurs);
    const notebook = figures("notebook", botsNb, idleNb, rateNb);
    const report: BenchReport = {
      machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version },
      workload: {
        load: `${LOAD_RATE_PER_S} msg/s for ${LOAD_SECONDS} s between two nodes; tick bursts = 10 messages every 50 ms, even = one every 5 ms`,
        rtt: `${RTT_SAMPLES} PINGs one at a time, each answered with a PONG, through the embedded SQS`,
        idle: `one node, no peers, measured ${windowS} s after ${0.5} s, scaled to a minute`,
        bots: `three bots at default timing, ${WARMUP_S} s warm-up, requests over the next ${windowS} s scaled to a minute`,
        max_rate: "a full node fed PINGs (answering each with a PONG); sustained = its queue backlog grew by under half a second of traffic",
      },
      ours,
      notebook,
      ratios: {
        requests_per_message_tick_bursts: notebook.load_tick_bursts.requestsPerMessage / ours.load_tick_bursts.requestsPerMessage,
        requests_per_message_even: notebook.load_even.requestsPerMessage / ours.load_even.requestsPerMessage,
        rtt_p50: notebook.rtt.p50Ms / ours.rtt.p50Ms,
        rtt_p99: notebook.rtt.p99Ms / ours.rtt.p99Ms,
        idle_requests: notebook.idle.perMinute / ours.idle.perMinute,
        bot_bill: notebook.bots.requestsPerBotPerMinute / ours.bots.requestsPerBotPerMinute,
        max_rate: ours.max_rate.maxSustainedPerS / (notebook.max_rate.maxSustainedPerS || NaN),
      },
      goals: {
        requests_per_message: goal(GOALS.requestsPerMessageMax, ours.load_tick_bursts.requestsPerMessage),
        rtt_p50_ms: goal(GOALS.rttP50MsMax, ours.rtt.p50Ms),
        rtt_p99_ms: goal(GOALS.rttP99MsMax, ours.rtt.p99Ms),
        idle_requests_per_minute: goal(GOALS.idlePerMinuteMax, ours.idle.perMinute),
        bot_requests_per_minute: goal(GOALS.botPerMinuteMax, ours.bots.requestsPerBotPerMinute),
      },
    };
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else process.stdout.write(table(report));
  } finally {
    await sqs.stop();
  }
}

function goal(max: number, ours: number): { goal: number; ours: number; met: boolean } {
  return { goal: max, ours: round(ours), met: ours <= max };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? String(round(x, digits)) : "n/a";
}

function table(r: BenchReport): string {
  const rows: Array<[string, string, string, string, string]> = [
    ["figure", "ours", "notebook", "notebook/ours", "goal (ours)"],
    [
      "SQS requests per message, tick bursts",
      fmt(r.ours.load_tick_bursts.requestsPerMessage),
      fmt(r.notebook.load_tick_bursts.requestsPerMessage),
      fmt(r.ratios.requests_per_message_tick_bursts!, 1),
      `≤ ${GOALS.requestsPerMessageMax}`,
    ],
    [
      "SQS requests per message, evenly spaced",
      fmt(r.ours.load_even.requestsPerMessage),
      fmt(r.notebook.load_even.requestsPerMessage),
      fmt(r.ratios.requests_per_message_even!, 1),
      "",
    ],
    ["PING→PONG p50, ms", fmt(r.ours.rtt.p50Ms, 1), fmt(r.notebook.rtt.p50Ms, 1), fmt(r.ratios.rtt_p50!, 1), `< ${GOALS.rttP50MsMax}`],
    ["PING→PONG p99, ms", fmt(r.ours.rtt.p99Ms, 1), fmt(r.notebook.rtt.p99Ms, 1), fmt(r.ratios.rtt_p99!, 1), `< ${GOALS.rttP99MsMax}`],
    [
      "idle requests per node per minute",
      fmt(r.ours.idle.perMinute, 1),
      fmt(r.notebook.idle.perMinute, 1),
      fmt(r.ratios.idle_requests!, 1),
      `≤ ${GOALS.idlePerMinuteMax}`,
    ],
    [
      "three bots: requests per bot per minute",
      fmt(r.ours.bots.requestsPerBotPerMinute, 1),
      fmt(r.notebook.bots.requestsPerBotPerMinute, 1),
      fmt(r.ratios.bot_bill!, 1),
      `≤ ${GOALS.botPerMinuteMax}`,
    ],
    [
      "largest sustained rate, msg/s",
      String(r.ours.max_rate.maxSustainedPerS),
      String(r.notebook.max_rate.maxSustainedPerS),
      fmt(r.ratios.max_rate!, 1),
      "",
    ],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  out.push("");
  for (const [k, v] of Object.entries(r.workload)) out.push(`${k}: ${v}`);
  const bill = (b: BotsResult) =>
    Object.entries(b.perBot)
      .map(([id, x]) => `${id} ${x.requests} (${Object.entries(x.byAction).map(([a, n]) => `${a} ${n}`).join(", ")})`)
      .join("; ");
  out.push(`bots, ours, requests in the window: ${bill(r.ours.bots)}`);
  out.push(`bots, notebook, requests in the window: ${bill(r.notebook.bots)}`);
  const ramp = (m: MaxRateResult) =>
    m.ramp.map((x) => `${x.ratePerS}/s ${x.sustained ? "ok" : "behind"} (backlog ${x.backlogStart}→${x.backlogEnd})`).join(", ") +
    (m.confirmed ? `; held ${m.confirmed.ratePerS}/s for ${m.confirmed.seconds} s: ${m.confirmed.sustained ? "ok" : "behind"} (backlog ${m.confirmed.backlogStart}→${m.confirmed.backlogEnd})` : "");
  out.push(`rate ramp, ours: ${ramp(r.ours.max_rate)}`);
  out.push(`rate ramp, notebook: ${ramp(r.notebook.max_rate)}`);
  out.push(`machine: ${r.machine.cpus} CPUs, Bun ${r.machine.bun}; figures are for comparing the two sides, not absolute.`);
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const secondsArg = args.indexOf("--seconds");
  const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : undefined;
  await runBench({ json: args.includes("--json"), seconds: Number.isFinite(seconds) ? seconds : undefined });
  process.exit(0);
}
