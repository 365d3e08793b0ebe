import type { SqsClient } from "../sqs/client.ts";
import type { ContentItem, TimingMs } from "../core/types.ts";
import type { NetworkId } from "../protocol/index.ts";
import type { SqsOptions } from "../sqs/client.ts";
import type { Observer } from "./observer.ts";
import { startProbe, type Probe } from "./probe.ts";
import type { CheckSession } from "./session.ts";
import type { StallMonitor } from "./stalls.ts";

/** What a session is made from: the session's own settings, plus what making it needs. */
export interface SessionInput
  extends Pick<CheckSession, "target" | "mode" | "net" | "sqs" | "client" | "timing" | "seed" | "content" | "observer"> {
  deadlineMs: number;
  /** Probe ids are `<probePrefix>-<name>`. */
  probePrefix: string;
  /** Parties of the check beside the probes (the bots, with --run). */
  ours: string[];
  processState?: CheckSession["processState"];
  stalls: StallMonitor;
}

export interface OwnedSession extends CheckSession {
  /** Aborts every wait and stops the probes. */
  close(): Promise<void>;
}

export function makeSession(i: SessionInput): OwnedSession {
  const abort = new AbortController();
  const probes = new Map<string, Promise<Probe>>();
  const scenarios = new Map<string, Promise<unknown>>();
  const ours = new Set(i.ours);
  const session: OwnedSession = {
    target: i.target,
    mode: i.mode,
    net: i.net,
    sqs: i.sqs,
    client: i.client,
    timing: i.timing,
    seed: i.seed,
    content: i.content,
    observer: i.observer,
    startedMs: Date.now(),
    deadlineMs: i.deadlineMs,
    ours,
    signal: abort.signal,
    probe(name) {
      const id = `${i.probePrefix}-${name}`;
      let p = probes.get(id);
      if (!p) {
        ours.add(id);
        p = startProbe({ client: i.client, sqs: i.sqs, net: i.net, timing: i.timing, seed: i.seed, content: i.content, observer: i.observer, target: i.target }, id);
        probes.set(id, p);
      }
      return p;
    },
    scenario<T>(name: string, fn: () => Promise<T>): Promise<T> {
      let p = scenarios.get(name) as Promise<T> | undefined;
      if (!p) {
        p = fn();
        scenarios.set(name, p);
      }
      return p;
    },
    processState: i.processState ?? (() => null),
    stalledMs: (a, b) => i.stalls.longestMs(a, b),
    async close() {
      abort.abort();
      const started = await Promise.allSettled(probes.values());
      await Promise.all(started.flatMap((r) => (r.status === "fulfilled" ? [r.value.stop()] : [])));
    },
  };
  return session;
}

/**
 * Sockets of the probes' shared SQS client: each probe holds one in its long
 * poll, and sends must never queue behind the polls (with 16, two checked
 * nodes' 34 probes made every send wait seconds).
 */
export function probeSocketsMax(nodes: number): number {
  return 2 * PROBE_NAMES.length * nodes + 16;
}

/** Ids of every probe a check with this prefix may start, for queues made ahead (and asked for on AWS). */
/**
 * With the fleet's three bots, twelve peers: no more than a class of a dozen
 * has, so that the node runs the small network's rules (docs/protocol.md,
 * SCALE-1) that the cases check.
 */
export const PROBE_NAMES = ["hello", "lister", "newcomer", "stranger", "pinger", "rider", "idler", "liar", "silent"] as const;
