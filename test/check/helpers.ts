/** `fleet check` as a user runs it: the CLI in a subprocess, its output and exit code. */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
/** The fast network of the check's tests: 0.5 s heartbeat, 2 s epochs. */
export const FAST_FILE = join(import.meta.dir, "fixtures", "fast.yaml");
/** A built-in node as a process, started from a command node's environment. */
export const personaCommand = (persona: string) => `bun ${join(ROOT, "src", "cli.ts")} fleet node --persona ${persona} --log-level warn`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCheckCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const proc = Bun.spawn(["bun", join(ROOT, "src", "cli.ts"), "fleet", "check", ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export interface JsonCase {
  id: string;
  verdict: string;
  level: string;
  observed: string;
  reason?: string;
}

/** Ids of cases with a verdict, for failure messages that say which. */
export const withVerdict = (cases: JsonCase[], v: string) => cases.filter((c) => c.verdict === v).map((c) => `${c.id}: ${c.observed}${c.reason ? ` (${c.reason})` : ""}`);

/**
 * Runs the jobs `lanes` at a time, in order; each promise settles when its
 * own job ends. Every check is an embedded SQS, three bots, probes and a
 * node: two fit this machine side by side, and the checker's stall guard
 * keeps a loaded moment from becoming a verdict.
 */
export function pool<T>(jobs: Array<() => Promise<T>>, lanes: number): Array<Promise<T>> {
  let next = 0;
  const settle: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];
  const promises = jobs.map((_, i) => new Promise<T>((resolve, reject) => (settle[i] = { resolve, reject })));
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      await jobs[i]!().then(settle[i]!.resolve, settle[i]!.reject);
    }
  };
  for (let i = 0; i < Math.min(lanes, jobs.length); i++) void lane();
  return promises;
}

/** Checks side by side in the tests that run many (planted bugs, personas). */
export const CHECK_LANES = 2;
