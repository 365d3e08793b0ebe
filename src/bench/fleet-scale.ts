/**
 * `bun run bench --scale N`: a real `fleet up` of N built-in nodes (the
 * three bots and N-3 `node`s) at default timing, as a child process on the
 * embedded SQS, watched from outside through its control endpoint. It
 * measures how long until every node runs and knows every other one as
 * alive, whether that holds for the hold window, the fleet process's CPU
 * and memory, and the SQS requests and errors per node per minute.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Health, HealthNode } from "../fleet/health-types.ts";
import { readLines } from "../fleet/logs.ts";
import { endsWithin } from "../sqs/backoff.ts";

export interface ScaleOptions {
  nodes: number;
  /** How long the converged fleet must hold, s. Default 60. */
  holdS?: number;
  /** Longest wait for convergence before the run is declared failed, s. Default 300. */
  convergeMaxS?: number;
  json?: boolean;
}

export interface ScaleResult {
  nodes: number;
  /** Load averages (1, 5, 15 min) when the run began and ended: other work on the machine skews every figure. */
  loadBefore: number[];
  loadAfter: number[];
  /** From `fleet up` until every node ran and saw every other alive; null when it never did. */
  convergedS: number | null;
  /** Worst node at the end of the wait when it never converged: how many others it saw alive. */
  worstAlive: number;
  holdS: number;
  /** Probes of the hold window in which some node did not see every other alive. */
  holdBreaks: number;
  held: boolean;
  /** CPU of the fleet process over the hold window, % of one core. */
  cpuPercent: number;
  rssMiB: number;
  rssPerNodeMiB: number;
  peakRssMiB: number;
  sqsRequestsPerNodePerMin: number;
  sqsErrors: number;
  sqsErrorsByKind: Record<string, number>;
  ok: boolean;
}

const PROBE_EVERY_MS = 1_000;
/** How long the fleet gets to stop after SIGINT before it is killed. */
const STOP_WAIT_MS = 30_000;
/** How often the wait says where it stands (not with --json). */
const PROGRESS_EVERY_S = 5;

/** A port free right now: the fleet logs at warn, so it does not announce a port it picked itself. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

function fleetYaml(n: number, stateDir: string, controlPort: number): string {
  const ids = ["bot-alpha", "bot-bravo", "bot-charlie"].slice(0, Math.min(3, n));
  const nodes = ids.map((id) => `  - { id: ${id}, persona: ${id} }`);
  const width = String(n).length;
  for (let i = 1; nodes.length < n; i++) nodes.push(`  - { id: node-${String(i).padStart(width, "0")}, persona: node }`);
  return [
    "network: { port: 0 }",
    `control: { port: ${controlPort} }`,
    "health: { every: 0 }",
    "log_level: warn",
    `state: { dir: ${JSON.stringify(stateDir)}, every: 0 }`,
    "nodes:",
    ...nodes,
    "",
  ].join("\n");
}

/** utime + stime of a process, in seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

interface Progress {
  nodes: number;
  running: number;
  worst: number;
}

/** Nodes in the health, those running, and how many others the least-informed of them sees alive: the wait's progress line. */
function progressOf(h: Health): Progress {
  let running = 0;
  let worst = Infinity;
  for (const node of h.nodes) {
    if (node.state !== "running") continue;
    running++;
    worst = Math.min(worst, aliveOf(node));
  }
  return { nodes: h.nodes.length, running, worst: running === 0 ? 0 : worst };
}

/** How many other nodes the least-informed node sees alive; -1 while a node of the `n` is missing or not running. */
function worstAliveOf(p: Progress, n: number): number {
  return p.nodes < n || p.running < p.nodes ? -1 : p.worst;
}

function aliveOf(node: HealthNode): number {
  let alive = 0;
  for (const p of node.peers) if (p.status === "alive") alive++;
  return alive;
}

function sum(h: Health, pick: (n: HealthNode) => Record<string, number>): { total: number; byKey: Record<string, number> } {
  const byKey: Record<string, number> = {};
  let total = 0;
  for (const n of h.nodes) {
    for (const [k, v] of Object.entries(pick(n))) {
      byKey[k] = (byKey[k] ?? 0) + v;
      total += v;
    }
  }
  return { total, byKey };
}

export async function runFleetScale(o: ScaleOptions): Promise<ScaleResult> {
  const n = o.nodes;
  const holdS = o.holdS ?? 60;
  const convergeMaxS = o.convergeMaxS ?? 300;
  const dir = mkdtempSync(join(tmpdir(), "bench-scale-"));
  const file = join(dir, "fleet.yaml");
  const controlPort = freePort();
  writeFileSync(file, fleetYaml(n, join(dir, "state"), controlPort));
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const say = (line: string) => {
    if (!o.json) process.stderr.write(`  … ${line}\n`);
  };
  const proc = Bun.spawn(["bun", join(import.meta.dir, "..", "cli.ts"), "fleet", "up", "--file", file, "--json"], {
    cwd: dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  const tail: string[] = [];
  const keep = (line: string) => {
    if (tail.length >= 20) tail.shift();
    tail.push(line);
  };
  void readLines(proc.stdout, keep);
  void readLines(proc.stderr, keep);
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1000;
  try {
    const health = async (): Promise<Health | null> => {
      try {
        const r = await fetch(`${controlUrl}/health`, { signal: AbortSignal.timeout(10_000) });
        return (await r.json()) as Health;
      } catch {
        return null;
      }
    };
    say(`fleet of ${n} up; waiting until every node sees the other ${n - 1} alive (at most ${convergeMaxS} s)`);
    let convergedS: number | null = null;
    let worstAlive = -1;
    let saidAtS = 0;
    while (elapsedS() < convergeMaxS) {
      if (proc.exitCode !== null) throw new Error(`fleet up exited with ${proc.exitCode}: ${tail.join(" | ")}`);
      const h = await health();
      if (h) {
        const p = progressOf(h);
        worstAlive = worstAliveOf(p, n);
        if (worstAlive >= n - 1) {
          convergedS = elapsedS();
          break;
        }
        // A join that takes long shows where it stands: starting, or discovering.
        if (elapsedS() - saidAtS >= PROGRESS_EVERY_S) {
          saidAtS = elapsedS();
          say(`${saidAtS.toFixed(1)} s: ${p.running} of ${n} running, the least-informed sees ${p.worst} of ${n - 1} alive`);
        }
      }
      await Bun.sleep(PROBE_EVERY_MS);
    }
    let holdBreaks = 0;
    let cpuPercent = 0;
    let first: Health | null = null;
    let last: Health | null = null;
    if (convergedS !== null) {
      say(`converged at ${convergedS.toFixed(1)} s; holding ${holdS} s`);
      first = await health();
      const cpu0 = cpuSeconds(proc.pid);
      const h0 = performance.now();
      while ((performance.now() - h0) / 1000 < holdS) {
        await Bun.sleep(PROBE_EVERY_MS);
        const h = await health();
        if (!h || worstAliveOf(progressOf(h), n) < n - 1) holdBreaks++;
        if (h) last = h;
      }
      cpuPercent = ((cpuSeconds(proc.pid) - cpu0) / ((performance.now() - h0) / 1000)) * 100;
    } else {
      last = await health();
    }
    const mem = memoryMiB(proc.pid);
    const reqs = (h: Health | null) => (h ? sum(h, (x) => x.counters.sqs_requests).total : 0);
    const errs = last ? sum(last, (x) => x.counters.sqs_errors) : { total: 0, byKey: {} };
    const windowMin = holdS / 60;
    const perNodePerMin = first && last ? (reqs(last) - reqs(first)) / n / windowMin : 0;
    const held = convergedS !== null && holdBreaks === 0;
    const result: ScaleResult = {
      nodes: n,
      loadBefore,
      loadAfter: loadavg().map((x) => Math.round(x * 100) / 100),
      convergedS: convergedS === null ? null : Math.round(convergedS * 10) / 10,
      worstAlive,
      holdS,
      holdBreaks,
      held,
      cpuPercent: Math.round(cpuPercent),
      rssMiB: Math.round(mem.rss),
      rssPerNodeMiB: Math.round((mem.rss / n) * 10) / 10,
      peakRssMiB: Math.round(mem.peak),
      sqsRequestsPerNodePerMin: Math.round(perNodePerMin * 10) / 10,
      sqsErrors: errs.total,
      sqsErrorsByKind: errs.byKey,
      ok: held && errs.total === 0,
    };
    return result;
  } finally {
    proc.kill("SIGINT");
    if (!(await endsWithin(proc.exited, STOP_WAIT_MS))) proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatScale(r: ScaleResult): string {
  const rows: Array<[string, string]> = [
    ["nodes", String(r.nodes)],
    ["load average before / after", `${r.loadBefore.join(" ")} / ${r.loadAfter.join(" ")}`],
    ["every node running, each seeing every other alive", r.convergedS === null ? `never (worst node saw ${r.worstAlive} of ${r.nodes - 1})` : `${r.convergedS} s`],
    [`held for ${r.holdS} s`, r.convergedS === null ? "-" : r.held ? "yes" : `no (${r.holdBreaks} probes broke it)`],
    ["CPU of the fleet process while holding", `${r.cpuPercent} % of one core`],
    ["RSS of the fleet (peak)", `${r.rssMiB} MiB (${r.peakRssMiB})`],
    ["RSS per node", `${r.rssPerNodeMiB} MiB`],
    ["SQS requests per node per minute", String(r.sqsRequestsPerNodePerMin)],
    ["SQS errors", r.sqsErrors === 0 ? "0" : `${r.sqsErrors} (${Object.entries(r.sqsErrorsByKind).map(([k, v]) => `${k} ${v}`).join(", ")})`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + `\n${r.ok ? "ok" : "FAIL"}\n`;
}
