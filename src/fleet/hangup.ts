import { readFileSync } from "node:fs";

/**
 * Whether SIGHUP was ignored when the process started (`nohup bun
 * src/cli.ts fleet up &`, or a service manager that ignores it): a handler
 * of our own would undo that, and a fleet meant to outlive its terminal would
 * stop when the terminal closes. Linux says so in /proc/self/status (bit 0 of
 * SigIgn is SIGHUP); elsewhere the answer is no, and a hangup stops the
 * fleet. (`bun run` catches SIGHUP and passes it on, so under it the fleet
 * starts with the hangup not ignored whatever nohup did.)
 */
export function hangupIgnored(statusText: string | null = readProcStatus()): boolean {
  const m = statusText === null ? null : /^SigIgn:\s*([0-9a-f]+)\s*$/im.exec(statusText);
  return m !== null && (BigInt(`0x${m[1]}`) & 1n) === 1n;
}

function readProcStatus(): string | null {
  try {
    return readFileSync("/proc/self/status", "utf8");
  } catch {
    return null;
  }
}
