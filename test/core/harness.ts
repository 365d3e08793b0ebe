import { encode, nodeIdOfQueueUrl } from "../../src/protocol/index.ts";
import { defaultNodeConfig, type NodeConfigOptions } from "../../src/core/config.ts";
import { createNode } from "../../src/core/node.ts";
import { createRng } from "../../src/core/rng.ts";
import type { NodeCore, NodeEvent, Output, Persona, Send } from "../../src/core/types.ts";

/** 2026-11-24T14:00:00Z: a start time on an epoch boundary. */
export const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);

interface InFlight {
  atMs: number;
  to: string;
  send: Send;
}

/**
 * Cores exchanging messages in memory, driven by a test clock that jumps to
 * the next deadline or delivery (quinn-proto's harness). Every delivery goes
 * through the wire form and `receive`, as it would from a queue.
 */
export class Exchange {
  readonly nodes = new Map<string, NodeCore>();
  nowMs = T0;
  /** Nodes cut off from the network both ways (they keep ticking). */
  readonly silenced = new Set<string>();
  readonly events: Array<{ atMs: number; node: string; event: NodeEvent }> = [];
  readonly sends: Array<{ atMs: number; from: string; send: Send }> = [];
  private inFlight: InFlight[] = [];

  constructor(
    private readonly latencyMs = 40,
    private readonly stepsMax = 1_000_000,
  ) {}

  add(id: string, persona: Persona, opts: NodeConfigOptions = {}, seed = `seed-${id}`): NodeCore {
    const node = createNode(defaultNodeConfig(id, persona, opts), createRng(seed), this.nowMs);
    this.nodes.set(id, node);
    return node;
  }

  start(): void {
    for (const [id, n] of this.nodes) this.collect(id, n.start(this.nowMs));
  }

  private collect(from: string, out: Output): void {
    for (const event of out.events) this.events.push({ atMs: this.nowMs, node: from, event });
    for (const send of out.sends) {
      this.sends.push({ atMs: this.nowMs, from, send });
      const to = nodeIdOfQueueUrl("ds2032", send.queueUrl);
      if (to === null || this.silenced.has(from) || this.silenced.has(to)) continue;
      this.inFlight.push({ atMs: this.nowMs + this.latencyMs, to, send });
    }
  }

  /** Runs until `untilMs`, delivering and ticking in time order; throws on a livelock. */
  runUntil(untilMs: number): void {
    let steps = 0;
    while (true) {
      if (++steps > this.stepsMax) throw new Error(`no progress after ${this.stepsMax} steps at ${this.nowMs}`);
      let next = Infinity;
      for (const n of this.nodes.values()) next = Math.min(next, n.nextDeadlineMs());
      for (const f of this.inFlight) next = Math.min(next, f.atMs);
      if (next > untilMs) break;
      this.nowMs = Math.max(this.nowMs, next);
      const due = this.inFlight.filter((f) => f.atMs <= this.nowMs);
      this.inFlight = this.inFlight.filter((f) => f.atMs > this.nowMs);
      for (const f of due) {
        const node = this.nodes.get(f.to);
        if (node && !this.silenced.has(f.to)) this.collect(f.to, node.receive(encode(f.send.message), this.nowMs));
      }
      for (const [id, n] of this.nodes) if (n.nextDeadlineMs() <= this.nowMs) this.collect(id, n.tick(this.nowMs));
    }
    this.nowMs = untilMs;
  }

  node(id: string): NodeCore {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  peerOf(viewer: string, peer: string) {
    return this.node(viewer).snapshot(this.nowMs).peers.find((p) => p.id === peer);
  }
}

/** The course's fleet: the three bots and one user's node. */
export function fourNodes(): Exchange {
  const ex = new Exchange();
  ex.add("bot-alpha", "bot-alpha");
  ex.add("bot-bravo", "bot-bravo");
  ex.add("bot-charlie", "bot-charlie");
  ex.add("hugo", "node");
  return ex;
}
