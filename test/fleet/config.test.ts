import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closest, keyPath, knownKeysAt, validateFleetText } from "../../src/fleet/config-load.ts";
import { runnableIssues, timingMs } from "../../src/fleet/config.ts";
import { DEFAULT_TIMING_MS } from "../../src/core/settings.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BOTS = "nodes:\n  - { id: bot-alpha, persona: bot-alpha }\n";

function messageOf(text: string): string {
  const r = validateFleetText(text, "fleet.yaml");
  if (r.ok) throw new Error("expected the file to be refused");
  return r.message;
}

describe("a bad fleet file gets one message naming the key path and what is expected", () => {
  test.each([
    ["unknown persona", "nodes:\n  - { id: a, persona: bot-delta }\n", ["nodes[0].persona", "bot-alpha, bot-bravo, bot-charlie, node", '"bot-delta"']],
    ["typo in a timing key", `timing:\n  heartbeet: 3\n${BOTS}`, ["timing", 'unknown key "heartbeet"', 'did you mean "heartbeat"']],
    ["typo at the top level", `netwrok:\n  port: 1\n${BOTS}`, ["(top level)", 'unknown key "netwrok"', 'did you mean "network"']],
    ["unrelated unknown key lists the valid ones", `zzz: 1\n${BOTS}`, ['unknown key "zzz"', "valid keys: network, seed"]],
    ["typo in a node", "nodes:\n  - { id: a, persona: node, log_levle: debug }\n", ["nodes[0]", 'did you mean "log_level"']],
    ["unquoted account", `network:\n  account: 194722398367\n${BOTS}`, ["network.account", "quoted string", "got number"]],
    ["bad node id", "nodes:\n  - { id: Hugo, persona: node }\n", ["nodes[0].id", "lowercase", '"Hugo"']],
    ["bad roster id", `roster: [hugo, Sam]\n${BOTS}`, ["roster[1]", "lowercase", '"Sam"']],
    ["roster not a list", `roster: hugo\n${BOTS}`, ["roster", "expected a list", '"hugo"']],
    ["bad bootstrap id", `bootstrap: [bot_alpha]\n${BOTS}`, ["bootstrap[0]", "lowercase", '"bot_alpha"']],
    ["empty bootstrap", `bootstrap: []\n${BOTS}`, ["bootstrap", "at least 1"]],
    ["empty content", `content: []\n${BOTS}`, ["content", "at least one item", "nothing to audit"]],
    ["duplicate ids", "nodes:\n  - { id: a, persona: node }\n  - { id: a, persona: node }\n", ["nodes[1].id", "duplicate id a"]],
    ["neither persona nor command", "nodes:\n  - { id: a }\n", ["nodes[0]", "exactly one of persona"]],
    ["both persona and command", "nodes:\n  - { id: a, persona: node, command: x }\n", ["nodes[0]", "exactly one of persona"]],
    ["no nodes", "nodes: []\n", ["nodes", "at least one node"]],
    ["nodes missing", "seed: x\n", ["nodes", "missing; expected a list"]],
    ["zero interval", `timing:\n  epoch: 0\n${BOTS}`, ["timing.epoch", "more than 0", "got 0"]],
    ["interval as text", `timing:\n  views: fast\n${BOTS}`, ["timing.views", "expected a number", '"fast"']],
    ["port out of range", `control:\n  port: 70000\n${BOTS}`, ["control.port", "at most 65535"]],
    ["sqs mode", `network:\n  sqs: azure\n${BOTS}`, ["network.sqs", "local, aws"]],
    ["endpoint in local mode", `network:\n  endpoint: http://127.0.0.1:9324\n${BOTS}`, ["network.endpoint", "sqs: aws only"]],
    ["env on a built-in node", "nodes:\n  - { id: a, persona: node, env: { A: b } }\n", ["nodes[0].env", "command nodes only"]],
    ["negative health interval", `health:\n  every: -1\n${BOTS}`, ["health.every", "at least 0"]],
    ["bad log level", `log_level: loud\n${BOTS}`, ["log_level", "trace, debug, info"]],
    ["a list instead of a mapping", "- a\n- b\n", ["(top level)", "expected a mapping", "got a list"]],
    ["empty file", "", ["empty", "nodes:"]],
    ["YAML syntax error with line and column", "nodes: [\n", ["fleet.yaml:2:1", "YAML syntax error"]],
    ["duplicate YAML key", "nodes:\n  - id: a\n    persona: node\n    id: b\n", ["fleet.yaml:4:5", "Map keys must be unique"]],
  ])("%s", (_name, text, fragments) => {
    const msg = messageOf(text);
    expect(msg.startsWith("fleet.yaml")).toBe(true);
    for (const f of fragments) expect(msg).toContain(f);
    expect(msg).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("the keys the schema knows at a path, read through its defaults and lists", () => {
  test.each<[string, PropertyKey[], string[]]>([
    ["top level", [], ["network", "seed", "content", "timing", "scale", "threads", "control", "health", "state", "log_level", "bootstrap", "roster", "nodes"]],
    ["scale (the core's bounds)", ["scale"], ["probes_per_beat", "urgent_per_beat", "partners", "rumours", "rumour_sends", "rumours_per_list", "rumour_keep_beats"]],
    ["threads", ["threads"], ["pack_above", "nodes_per_thread"]],
    ["network (composed with the core's names)", ["network"], ["sqs", "port", "region", "account", "prefix", "endpoint", "create_queues"]],
    ["timing", ["timing"], ["heartbeat", "gossip", "views", "audit", "epoch", "rechoke", "optimistic"]],
    ["an entry of a list", ["nodes", 3], ["id", "persona", "command", "env", "log_level"]],
    ["an entry of content", ["content", 0], ["content_id", "ad_id"]],
    ["a leaf", ["seed"], []],
    ["below a leaf", ["seed", "x"], []],
    ["a key that does not exist", ["nope"], []],
  ])("%s", (_name, path, keys) => {
    expect(knownKeysAt(path)).toEqual(keys);
  });
});

describe("a good file is filled with the defaults of docs/protocol.md", () => {
  test("the repository's fleet.yaml is valid and runs the three bots", () => {
    const r = validateFleetText(require("node:fs").readFileSync(join(ROOT, "fleet.yaml"), "utf8"), "fleet.yaml");
    if (!r.ok) throw new Error(r.message);
    expect(r.file.nodes.map((n) => n.id)).toEqual(["bot-alpha", "bot-bravo", "bot-charlie"]);
    expect(timingMs(r.file.timing)).toEqual(DEFAULT_TIMING_MS);
    // JOIN-5: with bot-alpha down, a newcomer still joins through the other bots.
    expect(r.file.bootstrap).toEqual(["bot-alpha", "bot-bravo", "bot-charlie"]);
    expect(r.file.roster).toEqual(["hugo", "sam", "phin", "manuel", "bruno", "gil"]);
    // SCALE-9: in a class of up to 60 every node is among the bots' partners, so it hears bot-charlie.
    expect(r.file.scale.partners).toBe(60);
  });

  test("a minimal file gets every default", () => {
    const r = validateFleetText(BOTS, "f.yaml");
    if (!r.ok) throw new Error(r.message);
    expect(r.file.network).toEqual({ sqs: "local", port: 4566, region: "us-east-1", account: "194722398367", prefix: "ds2032" });
    expect(timingMs(r.file.timing)).toEqual(DEFAULT_TIMING_MS);
    expect(r.file.control.port).toBe(4580);
    expect(r.file.health.every).toBe(30);
    expect(r.file.bootstrap).toEqual(["bot-alpha"]);
    expect(r.file.roster).toEqual(["hugo", "sam", "phin", "manuel", "bruno", "gil"]);
    expect(r.file.content.length).toBe(3);
  });

  test.each<[string, string, string[]]>([
    ["every bot of the fleet", "  - { id: bot-alpha, persona: bot-alpha }\n  - { id: bot-bravo, persona: bot-bravo }\n  - { id: bot-charlie, persona: bot-charlie }\n", ["bot-alpha", "bot-bravo", "bot-charlie"]],
    ["bot-alpha first, wherever it is listed", "  - { id: b2, persona: bot-bravo }\n  - { id: c3, persona: bot-charlie }\n  - { id: a1, persona: bot-alpha }\n", ["a1", "b2", "c3"]],
    ["nodes of yours are not bootstrap nodes", "  - { id: hugo, persona: node }\n  - { id: bot-bravo, persona: bot-bravo }\n  - { id: sam, command: x }\n", ["bot-bravo"]],
    ["a fleet without bots asks the course's bot-alpha", "  - { id: hugo, persona: node }\n", ["bot-alpha"]],
  ])("default bootstrap: %s", (_name, nodes, want) => {
    const r = validateFleetText(`nodes:\n${nodes}`, "f.yaml");
    if (!r.ok) throw new Error(r.message);
    expect(r.file.bootstrap).toEqual(want);
  });

  test("a bootstrap given in the file is kept as it is", () => {
    const r = validateFleetText(`bootstrap: [bot-bravo]\n${BOTS}`, "f.yaml");
    if (!r.ok) throw new Error(r.message);
    expect(r.file.bootstrap).toEqual(["bot-bravo"]);
  });


  test.each([
    [0.5, 500],
    [1.25, 1250],
    [10, 10_000],
  ])("timing in seconds %p is %p ms", (s, ms) => {
    const r = validateFleetText(`timing: { heartbeat: ${s} }\n${BOTS}`, "f.yaml");
    if (!r.ok) throw new Error(r.message);
    expect(timingMs(r.file.timing).heartbeatMs).toBe(ms);
  });
});

describe("closest key", () => {
  test.each([
    ["heartbeet", ["heartbeat", "gossip"], "heartbeat"],
    ["HEARTBEAT", ["heartbeat"], "heartbeat"],
    ["prot", ["port", "prefix"], "port"],
    ["zzzzzz", ["port", "prefix"], null],
  ])("%s among %p is %p", (word, keys, want) => {
    expect(closest(word, keys)).toBe(want);
  });
});

describe("the CLI refuses a bad file with exit code 2 and no stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-config-"));
  test.each([
    ["unknown-persona.yaml", "nodes:\n  - { id: a, persona: bot-delta }\n", ["unknown-persona.yaml", "nodes[0].persona"]],
    ["typo.yaml", `timing:\n  gosip: 3\n${BOTS}`, ["typo.yaml", 'did you mean "gossip"']],
    ["syntax.yaml", "nodes: [\n", ["syntax.yaml:2:1", "YAML syntax error"]],
    ["missing.yaml", null, ["missing.yaml: no such file", "--file"]],
    ["roster.yaml", `roster: [gil, Hugo]\n${BOTS}`, ["roster.yaml", "roster[1]", "lowercase"]],
  ])("%s", (name, text, fragments) => {
    const path = join(dir, name);
    if (text !== null) writeFileSync(path, text);
    const p = Bun.spawnSync(["bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", path], { cwd: dir });
    const err = p.stderr.toString();
    expect(p.exitCode).toBe(2);
    for (const f of fragments) expect(err).toContain(f);
    expect(err).not.toMatch(/\n\s+at /);
    expect(p.stdout.toString()).toBe("");
  });

  test("--only naming a node that is not in the file", () => {
    const path = join(dir, "good.yaml");
    writeFileSync(path, BOTS);
    const p = Bun.spawnSync(["bun", join(ROOT, "src", "cli.ts"), "fleet", "up", "--file", path, "--only", "bot-alpha,zed"], { cwd: dir });
    expect(p.exitCode).toBe(2);
    expect(p.stderr.toString()).toContain("--only: no node zed");
  });
});

describe("what fleet up refuses in the settings it is about to run", () => {
  // Beyond the schema, which also describes fleets not started from a file (a `fleet node` from its
  // environment, the check's own network): on the embedded SQS only the file's nodes and roster have
  // queues, and its two servers cannot share a port.
  test.each<[string, string, string[] | "ok"]>([
    ["a bootstrap typo of a node", `bootstrap: [bot-alfa]\n${BOTS}`, ["bootstrap[0]: bot-alfa is neither a node of this file (bot-alpha) nor of roster:", "add bot-alfa to roster:"]],
    ["the second bootstrap id of two", `bootstrap: [bot-alpha, zed]\n${BOTS}`, ["bootstrap[1]: zed is neither"]],
    ["a bootstrap id of the roster", `bootstrap: [sam]\n${BOTS}`, "ok"],
    ["a bootstrap id of a roster of its own", `roster: [zed]\nbootstrap: [zed]\n${BOTS}`, "ok"],
    ["a bootstrap node of the file", `bootstrap: [hugo]\n${BOTS}  - { id: hugo, persona: node }\n`, "ok"],
    ["on Amazon SQS, a bootstrap queue of the account", `network: { sqs: aws }\nbootstrap: [zed]\n${BOTS}`, "ok"],
    ["a fleet without bots, the course's bot-alpha by default", "nodes:\n  - { id: hugo, persona: node }\n", "ok"],
    ["a fleet without bots, the course's bot-alpha written out", "bootstrap: [bot-alpha]\nnodes:\n  - { id: hugo, persona: node }\n", "ok"],
    ["the control endpoint on the SQS's port", `network: { port: 4600 }\ncontrol: { port: 4600 }\n${BOTS}`, ["control.port: 4600 is network.port too", "change one of them"]],
    ["both ports 0, each a free one", `network: { port: 0 }\ncontrol: { port: 0 }\n${BOTS}`, "ok"],
    ["on Amazon SQS network.port is not listened on", `network: { sqs: aws, port: 4580 }\n${BOTS}`, "ok"],
  ])("%s", (_name, text, want) => {
    const r = validateFleetText(text, "fleet.yaml");
    if (!r.ok) throw new Error(r.message);
    const said = runnableIssues(r.file).map((i) => `${keyPath(i.path)}: ${i.message}`).join("\n");
    if (want === "ok") expect(said).toBe("");
    else for (const part of want) expect(said).toContain(part);
  });
});
