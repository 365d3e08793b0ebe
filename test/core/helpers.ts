import { build, encode, queueUrlOf, type MessageOf, type MessageType } from "../../src/protocol/index.ts";
import { defaultNodeConfig, type NodeConfigOptions } from "../../src/core/config.ts";
import { DEFAULT_NETWORK } from "../../src/core/settings.ts";
import { createNode } from "../../src/core/node.ts";
import { createRng } from "../../src/core/rng.ts";
import type { PersistedState } from "../../src/core/state.ts";
import type { NodeCore, NodeEvent, Output, Persona, Send } from "../../src/core/types.ts";
import { T0 } from "./harness.ts";

export { T0 };
export const urlOf = (id: string) => queueUrlOf(DEFAULT_NETWORK, id);

/** A node made and started at T0 with no bootstrap unless asked: a blank slate for one handler. */
export function makeNode(
  id = "hugo",
  persona: Persona = "node",
  opts: NodeConfigOptions = {},
  state?: PersistedState,
): { node: NodeCore; start: Output } {
  const node = createNode(defaultNodeConfig(id, persona, { bootstrap: [], ...opts }), createRng(`test-${id}`), T0, state);
  return { node, start: node.start(T0) };
}

let msgCounter = 0;
type Extra<T extends MessageType> = Omit<MessageOf<T>, "type" | "sender" | "timestamp" | "msg_id">;

/** A message from `sender` timestamped `nowMs`, with a fresh msg_id unless one is given. */
export function msg<T extends MessageType>(type: T, sender: string, extra: Extra<T>, nowMs = T0, msgId?: string): MessageOf<T> {
  const id = msgId ?? (++msgCounter).toString(16).padStart(8, "0");
  return build(type, { sender, nowMs, msgId: id }, extra);
}

/** Delivers through the wire form, as a queue would. */
export function deliver(node: NodeCore, m: MessageOf<MessageType>, nowMs = T0): Output {
  return node.receive(encode(m), nowMs);
}

export function sendsOf(out: Output, type?: MessageType, to?: string): Send[] {
  return out.sends.filter((s) => (type === undefined || s.message.type === type) && (to === undefined || s.to === to));
}

export function eventsOf<T extends NodeEvent["type"]>(out: Output, type: T): Array<Extract<NodeEvent, { type: T }>> {
  return out.events.filter((e): e is Extract<NodeEvent, { type: T }> => e.type === type);
}

/** Makes `ids` known to `node` by a HELLO each. */
export function introduce(node: NodeCore, ids: string[], nowMs = T0): void {
  for (const id of ids) deliver(node, msg("HELLO", id, { queue_url: urlOf(id) }, nowMs), nowMs);
}

export function peer(node: NodeCore, id: string, nowMs = T0) {
  return node.snapshot(nowMs).peers.find((p) => p.id === id);
}

/** Ticks every deadline up to `untilMs`, collecting all outputs. */
export function tickUntil(node: NodeCore, untilMs: number): Output {
  const all: Output = { sends: [], events: [] };
  for (let i = 0; i < 100_000 && node.nextDeadlineMs() <= untilMs; i++) {
    const out = node.tick(node.nextDeadlineMs());
    all.sends.push(...out.sends);
    all.events.push(...out.events);
  }
  return all;
}
