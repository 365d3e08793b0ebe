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
