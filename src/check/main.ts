import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { loadFleetFile } from "../fleet/config-load.ts";
import { timingMs } from "../fleet/config.ts";
import { DEFAULT_FLEET_FILE, reachOf, UserError } from "../fleet/cli-context.ts";
import { CASES } from "./cases/index.ts";
import { startupMs, startLocalNetwork, CheckCannotRun } from "./local.ts";
import { createObserver } from "./observer.ts";
import { startStallMonitor } from "./stalls.ts";
import { classOf, startRemote } from "./remote.ts";
import { nodeReport, runCases, selectCases, summarize } from "./runner.ts";
import { planOf, progressLine, silenceLine, silentAfterMs, silentTargets, startLine } from "./progress.ts";
import type { OwnedSession } from "./make-session.ts";
import { formatHtml } from "./report/html.ts";
import { formatJunit } from "./report/junit.ts";
import { formatTerminal } from "./report/terminal.ts";
import { CheckReport, type NodeReport } from "./types.ts";

/**
 * `fleet check`: flags, the network (its own with --run, a running fleet's
 * otherwise), the cases, the reports, and the exit code: 0 every MUST passed,
 * 1 one failed, 2 the check could not run.
 */

/** How often the progress line is written while the check waits. */
const PROGRESS_EVERY_MS = 10_000;

/** --time-limit's bound: a check is a few minutes, not an afternoon. */
const TIME_LIMIT_MAX_S = 3_600;

export const CheckFlags = z
  .strictObject({
    run: z.string().min(1, "--run: the command that starts your node, such as \"python3 my_node.py\"").optional(),
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, "--id: 1-40 lowercase letters, digits or '-'").optional(),
    ids: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, "node ids are 1-40 lowercase letters, digits or '-'")).default([]),
    all: z.boolean().default(false),
    file: z.string().optional(),
    timeLimit: z.number({ error: "--time-limit: seconds, such as 120" }).positive("--time-limit: seconds, more than 0").max(TIME_LIMIT_MAX_S, `--time-limit: at most ${TIME_LIMIT_MAX_S} seconds`).optional(),
    quick: z.boolean().default(false),
    json: z.boolean().default(false),
    junit: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    aws: z.boolean().default(false),
    createQueues: z.boolean().default(false),
    sqsPort: z.number().int().min(1).max(65535).optional(),
    controlPort: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((f, ctx) => {
    const ways = [f.run !== undefined, f.ids.length > 0, f.all].filter(Boolean).length;
    if (ways !== 1) ctx.addIssue({ code: "custom", message: "fleet check: give --run \"CMD\" (your node, on a network of its own), node ids of a running fleet, or --all" });
    if (f.run === undefined && f.id !== undefined) ctx.addIssue({ code: "custom", message: "--id names the node started by --run; to check running nodes, list their ids" });
    if (f.run !== undefined && (f.aws || f.createQueues || f.sqsPort !== undefined)) ctx.addIssue({ code: "custom", message: "--run starts its own embedded SQS: --aws, --create-queues and --sqs-port are for checking a running fleet" });
  });
export type CheckFlags = z.input<typeof CheckFlags>;

export interface CheckIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Progress lines while the check waits (stderr on a terminal). */
  progress: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function flagsOf(raw: CheckFlags): z.output<typeof CheckFlags> {
  const r = CheckFlags.safeParse(raw);
  if (!r.success) throw new UserError(r.error.issues.map((i) => i.message).join("\n"));
  return r.data;
}

/** The whole check; the exit code. */
export async function runCheck(raw: CheckFlags, io: CheckIo): Promise<number> {
  const flags = flagsOf(raw);
  const path = resolve(flags.file ?? DEFAULT_FLEET_FILE);
  const observer = createObserver();
  const stalls = startStallMonitor();
  const startedMs = Date.now();

  let file;
  let reachInfo = null;
  if (flags.run !== undefined) {
    const loaded = loadFleetFile(path);
    if (!loaded.ok) throw new UserError(loaded.message);
    file = loaded.file;
  } else {
    reachInfo = reachOf({ file: flags.file, aws: flags.aws, sqsPort: flags.sqsPort, controlPort: flags.controlPort }, flags.all ? ["sqs", "control"] : ["sqs"]);
    file = reachInfo.file;
  }
  const timing = timingMs(file.timing);
  const cases = selectCases(CASES, flags.quick);
  const { plannedMs, typicalMs } = planOf(cases, timing);
  const limitMs = flags.timeLimit !== undefined ? flags.timeLimit * 1000 : plannedMs + startupMs(timing.heartbeatMs) + 10_000;
  const deadlineMs = startedMs + limitMs;
  const say = (line: string) => io.progress && io.err(`${line}\n`);

  let sessions: OwnedSession[];
  /** Stops the network; a line naming queues it created and could not delete, else null. */
  let stop: () => Promise<string | null>;
  let lines: () => string[] = () => [];
  let exitOf: () => string | null = () => null;
  try {
    if (flags.run !== undefined) {
      const local = await startLocalNetwork({ file, command: flags.run, id: flags.id ?? "student", cwd: io.cwd ?? process.cwd(), observer, stalls, deadlineMs, env: io.env, progress: say });
      sessions = [local.session];
      stop = async () => {
        await local.stop();
        return null;
      };
      lines = local.lines;
      exitOf = local.exit;
    } else {
      let ids = flags.ids;
      if (flags.all) {
        const known = await classOf(reachInfo!.controlPort);
        const deadNote = known.dead.length > 0 ? `; left out, dead to every node of the fleet: ${known.dead.join(", ")} (name them to check them anyway)` : "";
        if (known.ids.length === 0) throw new CheckCannotRun(`--all: the fleet's nodes know no live node outside the fleet${known.dead.length > 0 ? deadNote : " yet"}`);
        if (known.dead.length > 0) say(`--all: checking ${known.ids.join(", ")}${deadNote}`);
        ids = known.ids;
      }
      const remote = await startRemote(reachInfo!, ids, observer, stalls, deadlineMs, flags.createQueues);
      sessions = remote.sessions;
      stop = remote.stop;
    }
  } catch (err) {
    stalls.stop();
    if (err instanceof CheckCannotRun) {
      io.err(`fleet check could not run: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && /^Sqs\w*Error$/.test(err.name)) {
      io.err(`fleet check could not run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  say(
    startLine({
      targets: sessions.map((s) => s.target),
      cases: cases.length,
      quick: flags.quick,
      heartbeatS: file.timing.heartbeat,
      epochS: file.timing.epoch,
      typicalMs: typicalMs === null ? null : Math.min(limitMs, typicalMs),
      atMostMs: Math.min(limitMs, plannedMs),
    }),
  );
  let done = 0;
  const total = cases.length * sessions.length;
  // One entry per node and case: with several nodes, a case one node finished may still wait on another.
  const waiting = new Map(sessions.flatMap((s) => cases.map((c) => [`${s.target}\u0000${c.id}`, c] as const)));
  const targets = sessions.map((s) => s.target);
  const mode = flags.run !== undefined ? "run" : "network";
  const toldSilent = new Set<string>();
  const ticker = setInterval(() => {
    const elapsedMs = Date.now() - startedMs;
    say(progressLine(done, total, Math.round(elapsedMs / 1000), [...waiting.values()]));
    if (elapsedMs < silentAfterMs(timing.heartbeatMs)) return;
    for (const t of silentTargets(observer, targets).filter((t) => !toldSilent.has(t))) {
      toldSilent.add(t);
      say(silenceLine(t, Math.round(elapsedMs / 1000), "progress", mode));
    }
  }, io.progress ? PROGRESS_EVERY_MS : 3_600_000);
  let reports: NodeReport[];
  let longestStallMs = 0;
  try {
    reports = await Promise.all(
      sessions.map(async (s) => nodeReport(s.target, await runCases(cases, s, { quick: flags.quick, onCase: (c) => { done++; waiting.delete(`${s.target}\u0000${c.id}`); } }))),
    );
  } finally {
    clearInterval(ticker);
    longestStallMs = stalls.longestMs(startedMs, Date.now());
    stalls.stop();
    const left = await stop();
    if (left !== null) io.err(`${left}\n`);
  }

  const first = reports[0]!;
  const report: CheckReport = CheckReport.parse({
    node: first.node,
    verdict: reports.every((r) => r.verdict === "pass") ? "pass" : "fail",
    cases: first.cases,
    summary: summarize(reports.flatMap((r) => r.cases)),
    nodes: reports,
    mode: flags.run !== undefined ? "run" : "network",
    quick: flags.quick,
    seed: file.seed,
    timings: {
      heartbeatS: file.timing.heartbeat,
      gossipS: file.timing.gossip,
      viewsS: file.timing.views,
      auditS: file.timing.audit,
      epochS: file.timing.epoch,
      rechokeS: file.timing.rechoke,
      optimisticS: file.timing.optimistic,
    },
    startedAt: new Date(startedMs).toISOString(),
    durationMs: Date.now() - startedMs,
    timeLimitS: Math.round(limitMs / 1000),
    longestStallMs,
  });

  const records = observer.all().map((x) => x.rec);
  const lanes = [...sessions.map((s) => s.target), ...[...new Set(sessions.flatMap((s) => [...s.ours]))]];
  if (flags.junit) writeOut(flags.junit, formatJunit(report));
  if (flags.html) writeOut(flags.html, await formatHtml(report, records, lanes));
  if (flags.json) io.out(JSON.stringify(report, null, 2) + "\n");
  else {
    io.out(formatTerminal(report) + "\n");
    for (const t of silentTargets(observer, targets)) io.out(`\n${silenceLine(t, Math.round(report.durationMs / 1000), "end", mode)}\n`);
    const exit = exitOf();
    if (exit !== null) io.out(`\n${first.node} ${exit} during the check. Its last ${lines().length} output lines:\n${lines().map((l) => `  | ${l}`).join("\n")}\n`);
  }

  const checkerErrors = reports.flatMap((r) => r.cases).filter((c) => c.reason?.startsWith("checker error"));
  if (checkerErrors.length > 0) {
    io.err(`fleet check could not judge ${checkerErrors.map((c) => c.id).join(", ")}: ${checkerErrors[0]!.reason}\n`);
    return 2;
  }
  const judged = report.summary.passed + report.summary.failed + report.summary.nonStrict;
  if (judged === 0) {
    io.err("fleet check judged no case (every case was skipped): no verdict\n");
    return 2;
  }
  return report.verdict === "pass" ? 0 : 1;
}

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(resolve(file), text);
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

