/**
 * Reputation over time with uPlot: one line per peer as one observer rates it
 * (or the mean over every observer), and the flag threshold as a dashed line.
 * The history comes from /history when the page opens or the observer changes;
 * each live view then appends one point.
 */
import uPlot from "uplot";
import { FLAG_THRESHOLD, MEAN_OBSERVER, type HistoryReply, type View } from "../view-types.ts";

/** Points kept on the page, as many as the server keeps: ten minutes at one a second. */
const POINTS_MAX = 600;
const HEIGHT_PX = 340;

export interface Chart {
  update(view: View): void;
  setObserver(observer: string): Promise<void>;
  readonly observer: string;
}

export function createChart(container: HTMLElement): Chart {
  let observer = MEAN_OBSERVER;
  let peers: string[] = [];
  let t: number[] = [];
  let values: Array<Array<number | null>> = [];
  // Until the first view says otherwise (it carries the same line).
  let threshold: number = FLAG_THRESHOLD;
  let plot: uPlot | null = null;
  let loading: Promise<void> | null = null;
  let arriving: Point[] = [];

  const rebuild = () => {
    plot?.destroy();
    const series: uPlot.Series[] = [
      {},
      ...peers.map((peer) => ({ label: peer, stroke: colorOf(peer), width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? "–" : v.toFixed(2)) })),
      { label: `flag threshold ${threshold}`, stroke: "#b3127a", dash: [6, 4], width: 1.5, points: { show: false } },
    ];
    const opts: uPlot.Options = {
      width: Math.max(300, container.clientWidth),
      height: HEIGHT_PX,
      series,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [{}, { label: "reputation", values: (_u, ticks) => ticks.map((v) => v.toFixed(1)) }],
      legend: { live: true },
    };
    plot = new uPlot(opts, data(), container);
    container.dataset.series = peers.join(",");
  };
  const data = (): uPlot.AlignedData => [t, ...values, t.map(() => threshold)];

  const load = async (who: string) => {
    let reply: HistoryReply;
    try {
      const res = await fetch(`/history?observer=${encodeURIComponent(who)}`);
      reply = (await res.json()) as HistoryReply;
    } catch {
      return; // the fleet is restarting; the next view that finds no plot asks again
    }
    if (who !== observer) return; // the user picked another observer meanwhile
    peers = Object.keys(reply.series);
    t = reply.t;
    values = peers.map((p) => reply.series[p] ?? []);
    const last = t.at(-1) ?? 0;
    const late = arriving.filter((p) => p.t > last);
    arriving = [];
    append(late, false);
    rebuild();
  };

  const append = (points: Point[], draw = true) => {
    for (const point of points) {
      t.push(point.t);
      values.forEach((series, i) => series.push(point.values.get(peers[i]!) ?? null));
    }
    if (t.length > POINTS_MAX) {
      t = t.slice(-POINTS_MAX);
      values = values.map((s) => s.slice(-POINTS_MAX));
    }
    if (draw) plot?.setData(data());
  };

  new ResizeObserver(() => plot?.setSize({ width: Math.max(300, container.clientWidth), height: HEIGHT_PX })).observe(container);

  return {
    get observer() {
      return observer;
    },
    async setObserver(who) {
      observer = who;
      arriving = [];
      loading = load(who).finally(() => (loading = null));
      await loading;
    },
    update(view) {
      threshold = view.flag_threshold;
      const point = { t: view.at_ms / 1000, values: pointOf(view, observer) };
      if (loading) {
        // kept until the history arrives, so that the views of a slow fetch leave no gap
        if (arriving.push(point) > POINTS_MAX) arriving.shift();
        return;
      }
      const unknown = [...point.values.keys()].some((p) => !peers.includes(p));
      if (unknown || !plot) {
        arriving = [point];
        loading = load(observer).finally(() => (loading = null));
        return;
      }
      append([point]);
    },
  };
}

interface Point {
  /** Seconds since the epoch. */
  t: number;
  values: Map<string, number>;
}

/** peer -> reputation at this view, for one observer or averaged over all. */
function pointOf(view: View, observer: string): Map<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const node of view.nodes) {
    if (observer !== MEAN_OBSERVER && node.id !== observer) continue;
    for (const [peer, , reputation] of node.peers) {
      const s = sums.get(peer) ?? { sum: 0, n: 0 };
      s.sum += reputation;
      s.n += 1;
      sums.set(peer, s);
    }
  }
  return new Map([...sums].map(([peer, s]) => [peer, Math.round((s.sum / s.n) * 1000) / 1000]));
}

/** A stable color per peer id, spread around the hue circle. */
function colorOf(id: string): string {
  let h = 2166136261;
  for (let i = 0; i < id.length; i += 1) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return `hsl(${(h >>> 0) % 360} 65% 42%)`;
}
