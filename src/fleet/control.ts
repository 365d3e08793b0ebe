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
/** What answers one route of the control endpoint. */
export type ControlRouteHandler = (req: Request, ctx: RouteContext) => Response | Promise<Response>;

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `/health`, `/debug/crash/:id`: a `:name` segment matches one path segment. */
  path: string;
  handler: ControlRouteHandler;
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

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;
type Method = (typeof METHODS)[number] | "HEAD";

/** Bun decodes a bad `%` escape into U+FFFD; a path that does not decode is refused before any handler sees it. */
function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export function createControlServer(opts: ControlServerOptions): ControlServer {
  const routes: Route[] = [];
  const register = (r: Route) => {
    const i = routes.findIndex((x) => x.method === r.method && x.path === r.path);
    if (i >= 0) routes[i] = r;
    else if (routes.length < ROUTES_MAX) routes.push(r);
    else throw new Error(`control server: more than ${ROUTES_MAX} routes`);
  };
  register({ method: "GET", path: "/health", handler: () => json(opts.getHealth()) });
  for (const r of opts.routes ?? []) register(r);

  const notFound = (req: Request) => {
    const path = new URL(req.url).pathname;
    return json({ error: `no route ${path}`, routes: routes.map((r) => `${r.method} ${r.path}`) }, 404);
  };
  // Bun.serve matches the paths and their `:name` segments; each path answers every method, a 405 for
  // those it has no route for, so a wrong method is told apart from an unknown path.
  const bunRoutes = () => {
    const table: Record<string, Partial<Record<Method, (req: Bun.BunRequest, srv: Server<undefined>) => Promise<Response>>>> = {};
    for (const r of routes) {
      const byMethod = (table[r.path] ??= {});
      byMethod[r.method] = async (req, srv) => {
        const url = new URL(req.url);
        if (!decodes(url.pathname)) return json({ error: `bad % escape in ${url.pathname}` }, 400);
        try {
          return await r.handler(req, { params: req.params, server: srv });
        } catch (err) {
          return json({ error: (err as Error).message }, 500);
        }
      };
    }
    for (const [path, byMethod] of Object.entries(table)) {
      const notAllowed = async (req: Request) => json({ error: `method ${req.method} not allowed on ${path}` }, 405);
      // HEAD is answered by a GET route when there is one (Bun does it), else refused like the others.
      for (const m of METHODS) byMethod[m] ??= notAllowed;
      if (byMethod.GET === undefined || byMethod.GET === notAllowed) byMethod.HEAD = notAllowed;
    }
    return table;
  };

  let server: Server<undefined>;
  try {
    server = Bun.serve({ hostname: "127.0.0.1", port: opts.port, routes: bunRoutes(), fetch: notFound });
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
    addRoute(r) {
      register(r);
      server.reload({ routes: bunRoutes(), fetch: notFound });
    },
    routes: () => routes.map((r) => `${r.method} ${r.path}`),
    async stop() {
      await server.stop(true);
    },
  };
}
