import type { Server } from "bun";
import type { Health } from "./health-types.ts";

/**
 * The control endpoint: HTTP on 127.0.0.1 only (it can crash nodes in debug
 * mode and shows the fleet's inner state). `/health` is built in; other
 * routes (a dashboard, `/metrics`) are added with `routes` or `addRoute`.
 */

export interface RouteContext {
  params: Record<string, string>;
  /** For long-lived responses (server-sent events): `ctx.server.timeout(req, 0)`. */
  server: Server<undefined>;
}
export type RouteHandler = (req: Request, ctx: RouteContext) => Response | Promise<Response>;

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `/health`, `/debug/crash/:id`: a `:name` segment matches one path segment. */
  path: string;
  handler: RouteHandler;
}

export interface ControlServerOptions {
  /** 0 picks a free port; `server.port` tells which. */
  port: number;
  getHealth: () => Health;
  routes?: Route[];
}

export interface ControlServer {
  readonly port: number;
  readonly url: string;
  /** A later route with the same method and path replaces the earlier one. */
  addRoute(route: Route): void;
  /** `GET /health` and the like, in the order they were added. */
  routes(): string[];
  stop(): Promise<void>;
}

/** The port was taken: one line that says what to do. */
export class ControlPortInUseError extends Error {
  override readonly name = "ControlPortInUseError";
  constructor(readonly port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use, so the control endpoint cannot start. ` +
        `Is another fleet running (bun run fleet status)? Pick another port with --control-port N or control.port in fleet.yaml.`,
    );
  }
}

/** Routes kept at most: a registry, not a data store. */
const ROUTES_MAX = 100;

function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split("/");
  const b = path.split("/");
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    if (p.startsWith(":")) {
      if (b[i] === "") return null;
      params[p.slice(1)] = decodeURIComponent(b[i]!);
    } else if (p !== b[i]) return null;
  }
  return params;
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export function createControlServer(opts: ControlServerOptions): ControlServer {
  const routes: Route[] = [];
  const addRoute = (r: Route) => {
    const i = routes.findIndex((x) => x.method === r.method && x.path === r.path);
    if (i >= 0) routes[i] = r;
    else if (routes.length < ROUTES_MAX) routes.push(r);
    else throw new Error(`control server: more than ${ROUTES_MAX} routes`);
  };
  addRoute({ method: "GET", path: "/health", handler: () => json(opts.getHealth()) });
  for (const r of opts.routes ?? []) addRoute(r);

  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: opts.port,
      async fetch(req, srv) {
        const path = new URL(req.url).pathname;
        let pathMatched = false;
        for (const r of routes) {
          const params = match(r.path, path);
          if (params === null) continue;
          pathMatched = true;
          if (r.method !== req.method && !(r.method === "GET" && req.method === "HEAD")) continue;
          try {
            return await r.handler(req, { params, server: srv });
          } catch (err) {
            return json({ error: (err as Error).message }, 500);
          }
        }
        if (pathMatched) return json({ error: `method ${req.method} not allowed on ${path}` }, 405);
        return json({ error: `no route ${path}`, routes: routes.map((r) => `${r.method} ${r.path}`) }, 404);
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code === "EADDRINUSE" || /in use/i.test(String((err as Error).message))) {
      throw new ControlPortInUseError(opts.port);
    }
    throw err;
  }
  const port = server.port ?? opts.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    addRoute,
    routes: () => routes.map((r) => `${r.method} ${r.path}`),
    async stop() {
      await server.stop(true);
    },
  };
}
