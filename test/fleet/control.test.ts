import { afterAll, describe, expect, test } from "bun:test";
import { createControlServer, ControlPortInUseError, json } from "../../src/fleet/control.ts";
import type { Health } from "../../src/fleet/health-types.ts";

const HEALTH: Health = { at: "2026-11-24T14:00:00.000Z", sqs: { mode: "local", endpoint: "http://127.0.0.1:4566" }, nodes: [], fleet: { flagged: {} } };

describe("the control endpoint", () => {
  const server = createControlServer({
    port: 0,
    getHealth: () => HEALTH,
    routes: [{ method: "POST", path: "/debug/crash/:id", handler: (_r, { params }) => json({ id: params.id }, 202) }],
  });
  server.addRoute({ method: "GET", path: "/metrics", handler: () => new Response("fleet_nodes 0\n") });
  afterAll(() => server.stop());

  test.each<[string, string, string, number, unknown]>([
    ["health", "GET", "/health", 200, HEALTH],
    ["a route given at creation, with its parameter", "POST", "/debug/crash/bot-alpha", 202, { id: "bot-alpha" }],
    ["a route added later", "GET", "/metrics", 200, "fleet_nodes 0\n"],
    ["wrong method", "POST", "/health", 405, undefined],
    ["unknown path", "GET", "/nope", 404, undefined],
    ["HEAD of a GET route", "HEAD", "/health", 200, undefined],
    ["HEAD of a route without GET", "HEAD", "/debug/crash/bot-alpha", 405, undefined],
    ["an escaped parameter is decoded", "POST", "/debug/crash/bot%2Dalpha", 202, { id: "bot-alpha" }],
    ["a bad % escape in a parameter", "POST", "/debug/crash/%zz", 400, { error: "bad % escape in /debug/crash/%zz" }],
    ["a truncated % escape", "POST", "/debug/crash/bot%E0%A4%A", 400, undefined],
    ["a bad % escape in an unknown path", "GET", "/%zz", 404, undefined],
    ["an empty parameter matches no route", "POST", "/debug/crash/", 404, undefined],
  ])("%s: %s %s -> %p", async (_name, method, path, status, body) => {
    const res = await fetch(`${server.url}${path}`, { method });
    expect(res.status).toBe(status);
    if (body === undefined) return;
    expect(typeof body === "string" ? await res.text() : await res.json()).toEqual(body);
  });

  test("a handler that throws answers 500 and the server keeps serving", async () => {
    server.addRoute({ method: "GET", path: "/boom", handler: () => { throw new Error("boom"); } });
    const res = await fetch(`${server.url}/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "boom" });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  test("listens on loopback only and lists its routes", () => {
    expect(server.url).toStartWith("http://127.0.0.1:");
    expect(server.routes().slice(0, 3)).toEqual(["GET /health", "POST /debug/crash/:id", "GET /metrics"]);
  });

  test("a taken port is one clear error", () => {
    expect(() => createControlServer({ port: server.port, getHealth: () => HEALTH })).toThrow(ControlPortInUseError);
  });
});
