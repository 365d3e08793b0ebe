/**
 * The fleet's dashboard on the control endpoint: the page at `/`, its script,
 * live views over server-sent events, reputation history and Prometheus
 * metrics. The control server mounts `routes`; everything reads getHealth().
 */
import type { Health } from "../health-types.ts";
import { clientBundle, STATIC_FILES } from "./bundle.ts";
import { createEventHub } from "./events.ts";
import { ReputationHistory } from "./history.ts";
import { formatMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { createTimelineFeed } from "./timeline.ts";
import { createWireRing, type WireRing } from "../wire-ring.ts";
import { buildView, type Reading } from "./view.ts";
import { MEAN_OBSERVER, type View } from "./view-types.ts";

export { formatMetrics } from "./metrics.ts";
export { FLAG_THRESHOLD } from "./view-types.ts";

/** What a handler may use of the server: long-lived responses (server-sent events) turn the idle timeout off. */
export interface RouteServer {
  timeout(req: Request, seconds: number): void;
}
/** What answers one of the dashboard's GET routes. */
export type DashboardRouteHandler = (req: Request, ctx?: { server?: RouteServer }) => Response | Promise<Response>;

/** A GET route, the shape the control server's `routes` option takes. */
export interface DashboardRoute {
  method: "GET";
  path: string;
  handler: DashboardRouteHandler;
}

export interface DashboardOptions {
  getHealth(): Health;
  /** How often the page is updated and history sampled; default 1000 ms. */
  sampleMs?: number;
  /** History kept per (observer, peer); default 600 samples (ten minutes at 1 s). */
  historySamplesMax?: number;
  /** (observer, peer) pairs kept; default 4096, room for 64 nodes that all know each other. */
  historyPairsMax?: number;
  /** Open pages at once; default 32. */
  viewersMax?: number;
  /** The fleet's message timeline, drawn by the page's space-time diagram; default an empty ring. */
  wire?: { ring: WireRing; recordsMax: number };
}

export interface Dashboard {
  /** For the control server: `createControlServer({ port, getHealth, routes: dashboard.routes })`. */
  routes: DashboardRoute[];
  /** The same routes for a server that dispatches by hand: null when the path is not the dashboard's. */
  handle(req: Request): Response | Promise<Response> | null;
  /** Reads health once, records history and pushes the view; the timer calls it every sampleMs. */
  sample(): View | null;
  /** Pages connected to /events now. */
  readonly viewers: number;
  stop(): void;
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const sampleMs = opts.sampleMs ?? 1000;
  const history = new ReputationHistory({ samplesMax: opts.historySamplesMax ?? 600, pairsMax: opts.historyPairsMax ?? 4096 });
  let prev: Reading | null = null;
  let latest: View | null = null;
  const hub = createEventHub({ subscribersMax: opts.viewersMax ?? 32, latest: () => latest });
  const wire = opts.wire ?? { ring: createWireRing(1), recordsMax: 1 };
  const timeline = createTimelineFeed({ ring: wire.ring, recordsMax: wire.recordsMax, subscribersMax: opts.viewersMax ?? 32 });

  const sample = (): View | null => {
    let health: Health;
    try {
      health = opts.getHealth();
    } catch {
      return latest; // a health reading that fails now is retried at the next tick; the page keeps the last view
    }
    const cur: Reading = { health, atMs: Date.now() };
    history.record(
      cur.atMs,
      health.nodes.flatMap((n) => n.peers.map((p) => ({ observer: n.id, peer: p.id, reputation: p.reputation }))),
    );
    latest = buildView(cur, prev);
    prev = cur;
    hub.publish(latest);
    timeline.publish();
    return latest;
  };
  sample();
  const timer = setInterval(sample, sampleMs);
  timer.unref?.();

  const byPath: Record<string, DashboardRouteHandler> = {
    "/app.js": async () => {
      const bundle = await clientBundle();
      return new Response(bundle.text, {
        status: bundle.ok ? 200 : 500,
        headers: { "content-type": bundle.ok ? "text/javascript; charset=utf-8" : "text/plain; charset=utf-8" },
      });
    },
    "/events": (req, ctx) => {
      ctx?.server?.timeout(req, 0);
      return hub.response(req);
    },
    "/timeline": (req, ctx) => {
      ctx?.server?.timeout(req, 0);
      return timeline.response(req);
    },
    "/timeline.json": () => Response.json(wire.ring.since(-1).records, { headers: { "cache-control": "no-store" } }),
    "/history": (req) => {
      const observer = new URL(req.url).searchParams.get("observer") ?? MEAN_OBSERVER;
      return Response.json(history.reply(observer), { headers: { "cache-control": "no-store" } });
    },
    "/metrics": () => {
      try {
        return new Response(formatMetrics(opts.getHealth()), { headers: { "content-type": METRICS_CONTENT_TYPE } });
      } catch (err) {
        return new Response(`health unavailable: ${String(err)}\n`, { status: 503 });
      }
    },
  };
  for (const [path, file] of Object.entries(STATIC_FILES)) {
    byPath[path] = () => new Response(Bun.file(file.path()), { headers: { "content-type": file.type, "cache-control": "no-cache" } });
  }

  return {
    routes: Object.entries(byPath).map(([path, handler]) => ({ method: "GET", path, handler })),
    handle(req) {
      const handler = byPath[new URL(req.url).pathname];
      if (!handler || req.method !== "GET") return null;
      return handler(req);
    },
    sample,
    get viewers() {
      return hub.subscribers;
    },
    stop() {
      clearInterval(timer);
      hub.close();
      timeline.close();
    },
  };
}
