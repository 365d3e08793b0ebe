/**
 * Faults for `bun run soak --chaos`: a random node's worker killed every
 * `killEveryMs` (give or take a quarter), and the embedded SQS stopped for
 * `outageMs`, `outages` times, spread over the run. Each fault is logged with
 * its time so the soak's report says what the ledger had to survive.
 */
export interface ChaosOptions {
  /** Between kills, ms. Default 20 000. */
  killEveryMs?: number;
  /** SQS outages over the run. Default 2. */
  outages?: number;
  /** Length of each outage, ms. Default 5000. */
  outageMs?: number;
  /** Choice of victim and jitter; default Math.random (timing only, the ledger does not depend on it). */
  random?: () => number;
}

export interface ChaosTargets {
  ids: readonly string[];
  /** Kills one node's worker as a bug would; false when it was not running. */
  kill(id: string): Promise<boolean>;
  pauseSqs(): Promise<void>;
  resumeSqs(): Promise<void>;
}

export interface ChaosLog {
  kills: Array<{ atS: number; id: string; killed: boolean }>;
  outages: Array<{ atS: number; ms: number }>;
}

export interface Chaos {
  /** Ends the faults (an outage in progress is ended at once) and says what happened. */
  stop(): Promise<ChaosLog>;
}

/** Starts the faults at once; they run for `durationMs` at most. */
export function startChaos(targets: ChaosTargets, durationMs: number, opts: ChaosOptions = {}): Chaos {
  const killEveryMs = opts.killEveryMs ?? 20_000;
  const outages = opts.outages ?? 2;
  const outageMs = opts.outageMs ?? 5_000;
  const random = opts.random ?? Math.random;
  const t0 = Date.now();
  const atS = () => Math.round((Date.now() - t0) / 100) / 10;
  const log: ChaosLog = { kills: [], outages: [] };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let ended = false;
  let paused = false;
  /** Ends an outage in progress early (at stop). */
  let wake = () => {};
  const work = new Set<Promise<unknown>>();
  const at = (ms: number, fn: () => Promise<unknown>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (ended) return;
      const p = fn().catch(() => {});
      work.add(p);
      void p.finally(() => work.delete(p));
    }, ms);
    timers.add(timer);
  };

  // Kills: each ~killEveryMs after the last, a random node.
  for (let ms = killEveryMs * (0.75 + random() / 2); ms < durationMs; ms += killEveryMs * (0.75 + random() / 2)) {
    at(ms, async () => {
      const id = targets.ids[Math.floor(random() * targets.ids.length)]!;
      log.kills.push({ atS: atS(), id, killed: await targets.kill(id) });
    });
  }
  // Outages: evenly spread, never overlapping the end of the run.
  for (let i = 1; i <= outages; i++) {
    const startMs = (durationMs * i) / (outages + 1) - outageMs / 2;
    if (startMs < 0 || startMs + outageMs > durationMs) continue;
    at(startMs, async () => {
      paused = true;
      log.outages.push({ atS: atS(), ms: outageMs });
      await targets.pauseSqs();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, outageMs);
        timers.add(timer);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
      if (paused) await targets.resumeSqs();
      paused = false;
    });
  }

  return {
    async stop() {
      ended = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      wake();
      await Promise.all(work);
      return log;
    },
  };
}
