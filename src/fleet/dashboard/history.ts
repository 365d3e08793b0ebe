/**
 * A bounded ring of reputation samples: how each observer rated each peer over
 * the last window. One timestamp ring shared by every (observer, peer) pair, so
 * a sample costs one slot per pair and a reply is already aligned for a chart.
 */
import { MEAN_OBSERVER, type HistoryReply } from "./view-types.ts";

export interface HistoryOptions {
  /** Samples kept per pair: 600 is ten minutes at one sample a second. */
  samplesMax: number;
  /** (observer, peer) pairs kept: 50 nodes that all know each other make 2450. */
  pairsMax: number;
}

export interface ReputationSample {
  observer: string;
  peer: string;
  reputation: number;
}

interface Pair {
  observer: string;
  peer: string;
  values: Float32Array;
  /** Sequence number of the last sample that had this pair; a pair silent for a whole window is evicted. */
  lastSeq: number;
}

export class ReputationHistory {
  private readonly times: Float64Array;
  private readonly pairs = new Map<string, Pair>();
  /** Sequence number of the newest sample; its slot is seq % samplesMax. */
  private seq = -1;
  /** Pairs refused because the table was full, for the metrics. */
  pairsDropped = 0;

  constructor(private readonly opts: HistoryOptions) {
    this.times = new Float64Array(opts.samplesMax);
  }

  get size(): { samples: number; pairs: number } {
    return { samples: Math.min(this.seq + 1, this.opts.samplesMax), pairs: this.pairs.size };
  }

  record(atMs: number, samples: ReputationSample[]): void {
    this.seq += 1;
    const slot = this.seq % this.opts.samplesMax;
    this.times[slot] = atMs;
    for (const [key, pair] of this.pairs) {
      if (this.seq - pair.lastSeq >= this.opts.samplesMax) this.pairs.delete(key);
      else pair.values[slot] = Number.NaN;
    }
    for (const s of samples) {
      const key = `${s.observer}\u0000${s.peer}`;
      let pair = this.pairs.get(key);
      if (!pair) {
        if (this.pairs.size >= this.opts.pairsMax) {
          this.pairsDropped += 1;
          continue;
        }
        pair = { observer: s.observer, peer: s.peer, values: new Float32Array(this.opts.samplesMax).fill(Number.NaN), lastSeq: this.seq };
        this.pairs.set(key, pair);
      }
      pair.values[slot] = s.reputation;
      pair.lastSeq = this.seq;
    }
  }

  observers(): string[] {
    return [...new Set([...this.pairs.values()].map((p) => p.observer))].sort();
  }

  /** The series of one observer, or with MEAN_OBSERVER the mean of every observer's view of each peer. */
  reply(observer: string): HistoryReply {
    const slots = this.slotsOldestFirst();
    const t = slots.map((slot) => this.times[slot]! / 1000);
    const byPeer = new Map<string, Pair[]>();
    for (const pair of this.pairs.values()) {
      if (observer !== MEAN_OBSERVER && pair.observer !== observer) continue;
      const list = byPeer.get(pair.peer) ?? [];
      list.push(pair);
      byPeer.set(pair.peer, list);
    }
    const series: HistoryReply["series"] = {};
    for (const peer of [...byPeer.keys()].sort()) {
      const pairs = byPeer.get(peer)!;
      series[peer] = slots.map((slot) => mean(pairs.map((p) => p.values[slot]!)));
    }
    return { observer, t, series };
  }

  private slotsOldestFirst(): number[] {
    const count = Math.min(this.seq + 1, this.opts.samplesMax);
    const slots: number[] = [];
    for (let i = count - 1; i >= 0; i -= 1) slots.push((this.seq - i) % this.opts.samplesMax);
    return slots;
  }
}

/** Mean of the known values, rounded to 3 decimals (Float32 noise is not information); null when none. */
function mean(values: number[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n += 1;
  }
  return n === 0 ? null : Math.round((sum / n) * 1000) / 1000;
}
