import { build, encode, parse } from "../protocol/index.ts";
import { createRng } from "../core/rng.ts";
import { createSqsClient } from "../sqs/client.ts";
import { queueDepth } from "../sqs/queues.ts";
import { botConfig, queueFor, requestsOf, runnerFor, transportFor, type BenchEnv, type Side } from "./sides.ts";

const rng = createRng("bench");
const msgId = () => rng.hex(8);
const sleep = (ms: number) => Bun.sleep(ms);

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function pingBody(sender: string, seq: number): string {
  return encode(build("PING", { sender, nowMs: Date.now(), msgId: msgId() }, { seq }));
}

export interface SteadyLoadResult {
  delivered: number;
  requests: number;
  requestsPerMessage: number;
  byAction: Record<string, number>;
}

/**
 * Steady load from one node to another: `ratePerS` messages a second for
 * `seconds`, emitted `burst` at a time (a core tick emits a burst; burst 1
 * spreads them evenly). Requests of both ends are counted.
 */
export async function steadyLoad(env: BenchEnv, side: Side, ratePerS: number, burst: number, seconds: number): Promise<SteadyLoadResult> {
  const tag = `${side}-load-${burst}`;
  const aUrl = await queueFor(env, `${tag}-a`);
  const bUrl = await queueFor(env, `${tag}-b`);
  let got = 0;
  const a = transportFor(env, side, aUrl, () => {});
  const b = transportFor(env, side, bUrl, () => {
    got++;
  });
  await sleep(50);
  const intervalMs = (1000 * burst) / ratePerS;
  const total = Math.round(ratePerS * seconds);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    for (let i = 0; i < burst && sent < total; i++) a.t.send(bUrl, pingBody(`${tag}-a`, sent++));
    const next = t0 + (sent / burst) * intervalMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  await until(() => got >= total, 15_000);
  await sleep(200); // let the last deletes land
  const ca = a.t.counters();
  const cb = b.t.counters();
  await Promise.all([a.close(), b.close()]);
  const byAction: Record<string, number> = {};
  for (const c of [ca, cb]) for (const [k, v] of Object.entries(c.requests)) byAction[k] = (byAction[k] ?? 0) + v;
  const requests = requestsOf(ca) + requestsOf(cb);
  return { delivered: got, requests, requestsPerMessage: got ? requests / got : NaN, byAction };
}

export interface RttResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** PING→PONG through SQS, one at a time: B answers each PING with a PONG as a node must. */
export async function pingPong(env: BenchEnv, side: Side, samples: number): Promise<RttResult> {
  const aId = `${side}-rtt-a`;
  const bId = `${side}-rtt-b`;
  const aUrl = await queueFor(env, aId);
  const bUrl = await queueFor(env, bId);
  let waiting: ((seq: number) => void) | null = null;
  const a = transportFor(env, side, aUrl, (body) => {
    const r = parse(body);
    if (r.ok && r.message.type === "PONG") waiting?.(r.message.seq);
  });
  const b = transportFor(env, side, bUrl, (body) => {
    const r = parse(body);
    if (r.ok && r.message.type === "PING") {
      b.t.send(aUrl, encode(build("PONG", { sender: bId, nowMs: Date.now(), msgId: msgId() }, { seq: r.message.seq })));
    }
  });
  await sleep(100);
  const rtts: number[] = [];
  for (let seq = 0; seq < samples + 5; seq++) {
    const t0 = performance.now();
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      waiting = (s) => {
        if (s !== seq) return;
        clearTimeout(timer);
        resolve(true);
      };
    });
    a.t.send(bUrl, pingBody(aId, seq));
    const ok = await done;
    // The first few warm the connections up.
    if (ok && seq >= 5) rtts.push(performance.now() - t0);
  }
  await Promise.all([a.close(), b.close()]);
  rtts.sort((x, y) => x - y);
  return {
    samples: rtts.length,
    p50Ms: percentile(rtts, 50),
    p99Ms: percentile(rtts, 99),
    meanMs: rtts.reduce((x, y) => x + y, 0) / (rtts.length || 1),
  };
}

export interface RateResult {
  ratePerS: number;
  seconds: number;
  sent: number;
  handled: number;
  backlogStart: number;
  backlogEnd: number;
  sustained: boolean;
}

/**
 * One full node (a runner with its core) fed PINGs at `ratePerS` for
 * `seconds`; it must handle them and answer each with a PONG. Sustained
 * means its queue's backlog did not grow beyond half a second of traffic.
 */
export async function feedNode(env: BenchEnv, side: Side, ratePerS: number, seconds: number, label: string): Promise<RateResult> {
  const nodeId = `${side}-rate-${label}`;
  const feederId = `${side}-feeder-${label}`;
  await queueFor(env, feederId);
  const node = runnerFor(env, side, botConfig(env, nodeId, "node", []));
  await node.start();
  const feeder = transportFor(env, "ours", await queueFor(env, `${feederId}-in`), () => {});
  const probe = createSqsClient(env.opts);
  const burst = Math.max(1, Math.round(ratePerS / 100));
  const intervalMs = (1000 * burst) / ratePerS;
  const total = Math.round(ratePerS * seconds);
  const t0 = performance.now();
  let sent = 0;
  let backlogStart = -1;
  while (sent < total) {
    for (let i = 0; i < burst && sent < total; i++) feeder.t.send(node.queueUrl, pingBody(feederId, sent++));
    if (backlogStart < 0 && performance.now() - t0 > 1000) {
      backlogStart = (await queueDepth(probe, node.queueUrl)).visible;
    }
    const next = t0 + (sent / burst) * intervalMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  const backlogEnd = (await queueDepth(probe, node.queueUrl)).visible;
  const handled = node.health().snapshot.counters.in.PING;
  await node.stop(3000);
  await feeder.close();
  probe.destroy();
  const slack = ratePerS / 2;
  return {
    ratePerS,
    seconds,
    sent,
    handled,
    backlogStart: Math.max(0, backlogStart),
    backlogEnd,
    sustained: backlogEnd <= Math.max(0, backlogStart) + slack && handled >= sent - slack - backlogEnd,
  };
}

export interface MaxRateResult {
  ramp: RateResult[];
  confirmed: RateResult | null;
  maxSustainedPerS: number;
}

/** Doubles the rate in short steps until the node falls behind, then holds the best rate for `confirmS`. */
export async function maxRate(env: BenchEnv, side: Side, rates: number[], stepS: number, confirmS: number): Promise<MaxRateResult> {
  const ramp: RateResult[] = [];
  let best = 0;
  for (const r of rates) {
    const res = await feedNode(env, side, r, stepS, `ramp${r}`);
    ramp.push(res);
    if (!res.sustained) break;
    best = r;
  }
  let confirmed: RateResult | null = null;
  if (best > 0 && confirmS > 0) {
    confirmed = await feedNode(env, side, best, confirmS, `hold${best}`);
    // Not held for the whole window: report the step below instead.
    if (!confirmed.sustained) best = rates[Math.max(0, rates.indexOf(best) - 1)]!;
  }
  return { ramp, confirmed, maxSustainedPerS: best };
}

export interface IdleResult {
  windowS: number;
  requests: number;
  perMinute: number;
}

/** A node with no peers: what its polling alone costs, counted over `windowS` and scaled to a minute. */
export async function idleNode(env: BenchEnv, side: Side, windowS: number): Promise<IdleResult> {
  const node = runnerFor(env, side, botConfig(env, `${side}-idle`, "node", []));
  await node.start();
  await sleep(500);
  const before = requestsOf(node.health().transport);
  await sleep(windowS * 1000);
  const requests = requestsOf(node.health().transport) - before;
  await node.stop(3000);
  return { windowS, requests, perMinute: (requests * 60) / windowS };
}

export interface BotsResult {
  windowS: number;
  warmupS: number;
  requestsPerBotPerMinute: number;
  perBot: Record<string, { requests: number; byAction: Record<string, number>; messagesOut: number; peers: number }>;
}

/**
 * The three bots at default timing (10 s heartbeats, 15 s gossip...): their
 * SQS requests over a window after a warm-up in which they join, per bot per minute.
 */
export async function threeBots(env: BenchEnv, side: Side, warmupS: number, windowS: number): Promise<BotsResult> {
  const ids = [
    [`${side}-bot-alpha`, "bot-alpha"],
    [`${side}-bot-bravo`, "bot-bravo"],
    [`${side}-bot-charlie`, "bot-charlie"],
  ] as const;
  const runners = ids.map(([id, persona]) => runnerFor(env, side, botConfig(env, id, persona, [ids[0][0]])));
  await Promise.all(runners.map((r) => r.start()));
  await sleep(warmupS * 1000);
  const before = runners.map((r) => ({ ...r.health().transport.requests }));
  await sleep(windowS * 1000);
  const perBot: BotsResult["perBot"] = {};
  let total = 0;
  runners.forEach((r, i) => {
    const h = r.health();
    const byAction: Record<string, number> = {};
    for (const [k, v] of Object.entries(h.transport.requests)) byAction[k] = v - (before[i]![k] ?? 0);
    const requests = Object.values(byAction).reduce((a, b) => a + b, 0);
    total += requests;
    perBot[r.id] = {
      requests,
      byAction,
      messagesOut: Object.values(h.snapshot.counters.out).reduce((a, b) => a + b, 0),
      peers: h.snapshot.peers.filter((p) => p.status === "alive").length,
    };
  });
  await Promise.all(runners.map((r) => r.stop(3000)));
  return { windowS, warmupS, requestsPerBotPerMinute: (total / 3) * (60 / windowS), perBot };
}
