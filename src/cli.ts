#!/usr/bin/env bun
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { DEFAULT_SQS_PORT } from "./core/settings.ts";
import { CONTROL_PORT_DEFAULT, LOG_LEVELS, type LogLevel } from "./fleet/config.ts";
import { flagsThrough, sameNamedFlags, UserError } from "./fleet/cli-context.ts";

/**
 * The one entry: `fleet up | status | send | peek`, `sim`, `bench`, `soak`. Heavy
 * modules are imported by the command that needs them, so `--help` and a bad
 * flag answer at once.
 */

const out = (s: string) => void process.stdout.write(s);

function ids(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(",")).map((s) => s.trim()).filter((s) => s !== "");
}

/** User mistakes end with their message and exit code; anything else is a bug and keeps its stack. */
async function run(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err.code);
    }
    throw err;
  }
}

const reachOptions = (y: Argv) =>
  y
    .option("file", { alias: "f", type: "string", describe: "fleet file to take ports and names from (default ./fleet.yaml when present)" })
    .option("aws", { type: "boolean", describe: "talk to Amazon SQS instead of the embedded SQS" })
    .option("sqs-port", { type: "number", describe: `port of the embedded SQS (default ${DEFAULT_SQS_PORT})` });

function fleetCommands(y: Argv) {
  return y
    .command(
      "up",
      "start the embedded SQS and every node of the fleet file; Ctrl-C stops them",
      (y) =>
        y
          .option("file", { alias: "f", type: "string", default: "fleet.yaml", describe: "the fleet file" })
          .option("only", { type: "string", array: true, describe: "run only these node ids (comma-separated); the others run elsewhere", coerce: ids })
          .option("aws", { type: "boolean", describe: "use Amazon SQS (credentials from the usual AWS chain)" })
          .option("sqs-port", { type: "number", describe: "port of the embedded SQS; 0 picks a free one" })
          .option("control-port", { type: "number", describe: "port of the health endpoint on 127.0.0.1; 0 picks a free one" })
          .option("log-level", { type: "string", choices: LOG_LEVELS, describe: "default level of every node (fleet.yaml log_level)" })
          .option("json", { type: "boolean", describe: "JSON log lines even on a terminal" })
          .option("health-every", { type: "number", describe: "seconds between health tables; 0 turns them off" })
          .option("create-queues", { type: "boolean", describe: "AWS mode: create the network's queues (the nodes' and the roster's) if missing" })
          .option("state-dir", { type: "string", describe: "where nodes keep their peers and reputations across restarts (fleet.yaml state.dir)" })
          .option("trace", { type: "string", describe: "write every message the nodes send and receive to this file, one JSON line each" })
          .option("trace-max-mb", { type: "number", describe: "the trace file becomes FILE.1 past this size (3 old files kept); default 64" }),
      (a) =>
        run(async () => {
          const { runUp } = await import("./fleet/up.ts");
          await runUp({
            file: a.file,
            only: a.only,
            aws: a.aws,
            sqsPort: a["sqs-port"],
            controlPort: a["control-port"],
            logLevel: a["log-level"] as LogLevel | undefined,
            json: a.json,
            healthEvery: a["health-every"],
            createQueues: a["create-queues"],
            stateDir: a["state-dir"],
            trace: a.trace,
            traceMaxMb: a["trace-max-mb"],
          });
        }),
    )
    .command(
      "status",
      "print the health table of a running fleet",
      (y) =>
        y
          .option("file", { alias: "f", type: "string", describe: "fleet file to take the control port from (default ./fleet.yaml when present)" })
          .option("aws", { type: "boolean", describe: "the fleet on Amazon SQS: refuse a fleet on the embedded SQS at that port" })
          .option("control-port", { type: "number", describe: `its control port (default ${CONTROL_PORT_DEFAULT})` })
          .option("json", { type: "boolean", describe: "the /health JSON instead of the table" })
          .option("network", { type: "boolean", describe: "the class's network: every node the fleet knows, what each fleet node sees of it and what it sent wrong" }),
      (a) =>
        run(async () => {
          const { runStatus } = await import("./fleet/status.ts");
          await runStatus({ file: a.file, aws: a.aws, controlPort: a["control-port"], json: a.json, network: a.network }, out);
        }),
    )
    .command(
      "send <to> <type>",
      "build one protocol message, check it, and send it to a node's queue",
      (y) =>
        reachOptions(y)
          .positional("to", { type: "string", demandOption: true, describe: "node id to send to" })
          .positional("type", { type: "string", demandOption: true, describe: "HELLO, PEER_LIST, PING, PONG, VIEW_EVENT, AUDIT_RESULT, CHOKE or UNCHOKE" })
          .option("from", { type: "string", default: "cli", describe: "sender id; replies go to its queue" })
          .option("set", { type: "string", array: true, describe: "field=value (JSON or text), repeatable: --set seq=7" })
          .example("$0 fleet send bot-alpha HELLO --from hugo", "ask bot-alpha for its peers")
          .example("$0 fleet send bot-bravo PING --set seq=42", "ping bot-bravo"),
      (a) =>
        run(async () => {
          const { runSend } = await import("./fleet/send.ts");
          await runSend({ file: a.file, aws: a.aws, sqsPort: a["sqs-port"], to: a.to, type: a.type, from: a.from, set: a.set }, out);
        }),
    )
    .command(
      "peek <node>",
      "show what waits in a node's queue without taking it",
      (y) =>
        reachOptions(y)
          .positional("node", { type: "string", demandOption: true, describe: "node id" })
          .option("json", { type: "boolean", describe: "one JSON line per message" }),
      (a) =>
        run(async () => {
          const { runPeek } = await import("./fleet/peek.ts");
          await runPeek({ file: a.file, aws: a.aws, sqsPort: a["sqs-port"], node: a.node, json: a.json }, out);
        }),
    )
    .command(
      "queues",
      "list every queue of the network (nodes, roster, any other) with what waits in it",
      (y) =>
        reachOptions(y)
          .option("json", { type: "boolean", describe: "the rows as JSON" })
          .option("purge", { type: "string", describe: "node id whose queue is emptied of every message (with --yes)" })
          .option("yes", { type: "boolean", describe: "confirm --purge" })
          .example("$0 fleet queues", "every queue with its approximate depth")
          .example("$0 fleet queues --purge hugo --yes", "empty hugo's queue"),
      (a) =>
        run(async () => {
          const { runQueues } = await import("./fleet/queues.ts");
          await runQueues({ file: a.file, aws: a.aws, sqsPort: a["sqs-port"], json: a.json, purge: a.purge, yes: a.yes }, out);
        }),
    )
    .command(
      "check [ids..]",
      "grade a node against docs/protocol.md: --run \"CMD\" on a network of its own, or node ids of a running fleet",
      (y) =>
        y
          .positional("ids", { type: "string", array: true, describe: "ids of nodes on a running fleet's network" })
          .option("run", { type: "string", describe: "the command that starts your node; it runs as --id beside the fleet file's bots" })
          .option("id", { type: "string", describe: "the node id --run gives your node (default student)" })
          .option("all", { type: "boolean", describe: "every node the running fleet's nodes know that is not one of them" })
          .option("file", { alias: "f", type: "string", describe: "the fleet file: bots, timings, seed and catalog (default ./fleet.yaml)" })
          .option("time-limit", { type: "number", describe: "seconds the check may take at most; cases out of time are skipped, saying so" })
          .option("quick", { type: "boolean", describe: "request/response cases only (within 15 s)" })
          .option("json", { type: "boolean", describe: "the report as one JSON object" })
          .option("junit", { type: "string", describe: "also write a JUnit XML report to this file" })
          .option("html", { type: "string", describe: "also write a self-contained HTML report to this file" })
          .option("aws", { type: "boolean", describe: "the running fleet is on Amazon SQS" })
          .option("create-queues", { type: "boolean", describe: "AWS: create the probes' queues, deleted at the end or when stopped (else the check lists those it needs)" })
          .option("sqs-port", { type: "number", describe: "port of the running fleet's embedded SQS" })
          .option("control-port", { type: "number", describe: "its control port, for --all" })
          .example("$0 fleet check --run \"python3 my_node.py\"", "grade your node")
          .example("$0 fleet check hugo sam --html class.html", "grade two nodes on the running fleet"),
      (a) =>
        run(async () => {
          const { runCheck } = await import("./check/main.ts");
          const { exitOnStopSignals } = await import("./check/stop-signals.ts");
          // A check stopped by Ctrl-C or a grader's timeout takes the node it started and the queues it created
          // with it, and gives no verdict: from then on the handler writes and exits, and the check's own flow neither.
          const stop = exitOnStopSignals();
          const untilExit = () => new Promise<never>(() => {});
          // The report is written in one piece, and the process exits only once a pipe has taken all of it.
          let report = "";
          const code = await runCheck(
            {
              run: a.run,
              id: a.id,
              ids: (a.ids ?? []).map(String),
              all: a.all,
              file: a.file,
              timeLimit: a["time-limit"],
              quick: a.quick,
              json: a.json,
              junit: a.junit,
              html: a.html,
              aws: a.aws,
              createQueues: a["create-queues"],
              sqsPort: a["sqs-port"],
              controlPort: a["control-port"],
            },
            { out: (s) => void (report += s), err: (s) => void (stop.stopped() || process.stderr.write(s)), progress: true },
          ).catch((err: unknown) => (stop.stopped() ? untilExit() : Promise.reject(err)));
          if (stop.stopped()) await untilExit();
          process.stdout.write(report, () => process.exit(code));
        }),
    )
    .command(
      "node",
      "run one built-in node as a process, set up from a command node's environment (NODE_ID, AWS_ENDPOINT_URL_SQS, P2P_*)",
      (y) =>
        y
          .option("persona", { type: "string", default: "node", choices: ["bot-alpha", "bot-bravo", "bot-charlie", "node"], describe: "which built-in node" })
          .option("log-level", { type: "string", default: "info", choices: LOG_LEVELS, describe: "its log level (JSON lines on stdout)" })
          .example("$0 fleet check --run \"bun run fleet node --persona node\"", "grade the built-in node"),
      (a) =>
        run(async () => {
          const { runStandalone } = await import("./fleet/node-standalone.ts");
          await runStandalone(a.persona, a["log-level"]);
        }),
    )
    .demandCommand(1, "which fleet command? up, status, send, peek, queues, check or node")
    .strict();
}

const args = hideBin(process.argv);

// The simulator parses its own options (and its own --help): everything after `sim` is passed on as it is.
if (args[0] === "sim") {
  const mod = (await import(new URL("./sim/main.ts", import.meta.url).href)) as { runSim(argv: string[]): Promise<number> };
  process.exit(await mod.runSim(args.slice(1)));
}

await yargs(args)
  // What users type: the package scripts `fleet`, `sim` and `bench` (package.json).
  .scriptName("bun run")
  .usage("$0 <command>\n\nRun a P2P teaching network over SQS: instructor bots, your own node, logs and health.")
  .command("fleet", "run the fleet of fleet.yaml and talk to it (up, status, send, peek, queues)", fleetCommands)
  // Listed for --help; handled above.
  .command("sim", "run the deterministic simulator (sim --help for its options)", (y) => y.strict(false), () => {})
  .command(
    "bench",
    "measure throughput and latency of nodes on the embedded SQS; with --scale, the simulator at growing fleet sizes",
    (y) =>
      y
        .option("json", { type: "boolean", describe: "machine-readable results" })
        .option("seconds", { type: "number", describe: "measuring window of each steady-state figure (default 60)" })
        .option("scale", { type: "string", describe: "instead: one simulator run per fleet size, comma-separated (8,50,200,1000)" })
        .option("minutes", { type: "number", describe: "with --scale: virtual minutes per run (default 30)" })
        .option("seed", { type: "string", describe: "with --scale: the runs' seed (default 1)" })
        .option("fleet", { type: "number", describe: "instead: a real fleet of N nodes at default timing; time until all see each other alive, whether it holds --seconds (default 60), CPU, memory, SQS requests" })
        .example("$0 bench --scale 8,50,200 --minutes 10", "wall time, peak memory and messages per fleet size")
        .example("$0 bench --fleet 100", "a fleet of 100 on this machine"),
    (a) =>
      run(async () => {
        const { BenchFlags } = await import("./bench/flags.ts");
        const { seconds } = flagsThrough(BenchFlags, {}, sameNamedFlags({ seconds: a.seconds }));
        if (a.fleet !== undefined) {
          if (!Number.isInteger(a.fleet) || a.fleet < 2 || a.fleet > 100) {
            throw new UserError(`--fleet: ${a.fleet} is not a fleet size; give a whole number from 2 to 100 (fleet.yaml's bound on nodes)`);
          }
          if (a.scale !== undefined) throw new UserError("--fleet and --scale are two benchmarks; give one");
          const mod = await import(new URL("./bench/fleet-scale.ts", import.meta.url).href);
          const r = await mod.runFleetScale({ nodes: a.fleet, json: a.json === true, ...(seconds !== undefined ? { holdS: seconds } : {}) });
          out(a.json === true ? `${JSON.stringify(r)}\n` : mod.formatScale(r));
          if (!r.ok) process.exitCode = 1;
          return;
        }
        if (a.scale !== undefined) {
          const { ScaleFlags, runScale } = await import("./bench/scale.ts");
          const sizes = a.scale.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
          const flags = flagsThrough(ScaleFlags, {}, [
            { flag: "scale", key: ["sizes"], value: sizes },
            ...sameNamedFlags({ minutes: a.minutes, seed: a.seed }),
          ]);
          runScale(flags, (l) => out(`${l}\n`));
          return;
        }
        if (a.minutes !== undefined || a.seed !== undefined) throw new UserError("--minutes and --seed go with --scale");
        const mod = (await import(new URL("./bench/main.ts", import.meta.url).href)) as {
          runBench(o: { json: boolean; seconds?: number }): unknown;
        };
        await mod.runBench({ json: a.json === true, ...(seconds !== undefined ? { seconds } : {}) });
      }),
  )
  .command(
    "soak",
    "a fleet under load on the embedded SQS for minutes, ending with a ledger of every message (exit 1 if one was lost)",
    (y) =>
      y
        .option("seconds", { type: "number", describe: "how long the load runs (default 120)" })
        .option("nodes", { type: "number", describe: "the three bots and `node`s for the rest (default 8)" })
        .option("speed", { type: "number", describe: "rates relative to the default timings (default 10)" })
        .option("json", { type: "boolean", describe: "the report as one JSON object" })
        .option("chaos", { type: "boolean", describe: "kill a random worker every ~20 s and stop the SQS for 5 s twice; the ledger still closes message by message" }),
    (a) =>
      run(async () => {
        const { SoakFlags, runSoakCommand } = await import("./bench/soak.ts");
        const flags = flagsThrough(SoakFlags, {}, sameNamedFlags({ seconds: a.seconds, nodes: a.nodes, speed: a.speed, json: a.json, chaos: a.chaos }));
        process.exit(await runSoakCommand(flags, out));
      }),
  )
  .demandCommand(1, "which command? fleet, sim, bench or soak")
  .strict()
  .help()
  .alias("h", "help")
  .version(false)
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .fail((msg, err, y) => {
    if (err instanceof UserError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err.code);
    }
    // yargs' own errors (a bad flag, a coerce that refused a value) are the user's to fix.
    if (err && err.name !== "YError") throw err;
    process.stderr.write(`${err?.message ?? msg}\n\nRun with --help for the commands and their options.\n`);
    void y;
    process.exit(2);
  })
  .parseAsync();
