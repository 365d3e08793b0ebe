import type { SqsClient } from "../sqs/client.ts";
import { build, encode, queueUrlOf, type MessageOf, type MessageType, type NetworkId } from "../protocol/index.ts";
import { ensureQueue, type SqsOptions } from "../sqs/client.ts";
import { createTransport, type Transport } from "../sqs/transport.ts";
import { sendMessage } from "../sqs/messages.ts";
import { describeSqsError } from "../sqs/errors.ts";
import { epochOf, trueCount } from "../core/views.ts";
import type { ContentItem, TimingMs } from "../core/types.ts";
import type { Observer } from "./observer.ts";

/**
 * A scripted peer on its own queue (`{prefix}-node-<probe>-p2p`): it sends
 * what a case tells it to, and by default behaves as a quiet honest peer
 * would (answers PINGs and HELLOs, reports the true counts to the target),
 * so that it neither looks dead nor becomes a free rider by accident.
 */

export type ReportMode =
  /** Never sends a VIEW_EVENT: a free rider. */
  | "none"
  /** The true count of the view model for every catalog item. */
  | "honest"
  /** The true count of the first catalog item only: enough to count as a contributor, at little load. */
  | "token"
  /** Wrong on half of the (content, epoch) pairs, by a fixed pattern: a liar whose verdict does not depend on luck. */
  | "liar";

export interface ProbeEnv {
  client: SqsClient;
  sqs: SqsOptions;
  net: NetworkId;
  timing: TimingMs;
  seed: string;
  content: ContentItem[];
  observer: Observer;
  /** The node under check: the only peer a probe reports to. */
  target: string;
}

type Extra<T extends MessageType> = Omit<MessageOf<T>, "type" | "sender" | "timestamp" | "msg_id">;

export interface Probe {
  readonly id: string;
  readonly queueUrl: string;
  /** Sends a body as it is (bad bodies included) to a node's naming-scheme queue, batched with the probe's other sends. */
  sendRaw(to: string, body: string): void;
  /**
   * Sends one body alone, with a SendMessage of its own, and says whether SQS
   * took it: for bodies the batching sender would refuse (over 256 KiB).
   */
  sendAlone(to: string, body: string): Promise<{ ok: true } | { ok: false; detail: string }>;
  /** Builds and sends one protocol message; returns it. */
  send<T extends MessageType>(to: string, type: T, extra: Extra<T>, over?: { msgId?: string; timestamp?: string }): MessageOf<T>;
  /** A fresh msg_id of this probe. */
  nextMsgId(): string;
  setReports(mode: ReportMode): void;
  setAutoPong(on: boolean): void;
  /** Stops answering and sending anything: the probe falls silent as a crashed node would. */
  mute(): void;
  stop(): Promise<void>;
}

/** Wrong counts of the liar: this far from the truth, never equal to it. */
const LIAR_OFFSET = 37;

/** Whether the liar lies on this (content, epoch): half the pairs, whatever the epoch's parity. */
export function liarLies(contentIndex: number, epoch: number): boolean {
  return (contentIndex + epoch) % 2 === 0;
}

/** How often a reporting probe reports: within the contribution window, and at least twice an epoch. */
export function probeReportEveryMs(t: TimingMs): number {
  return Math.max(t.viewsMs, Math.min(2 * t.rechokeMs, t.epochMs / 2));
}

export async function startProbe(env: ProbeEnv, id: string): Promise<Probe> {
  const { net, observer, timing } = env;
  await ensureQueue(env.client, env.sqs, net, id);
  const queueUrl = queueUrlOf(net, id);
  let counter = 0;
  let reports: ReportMode = "token";
  let autoPong = true;
  let muted = false;
  let stopped = false;

  const nextMsgId = () => `${id}-${(++counter).toString(36)}`.slice(-64);

  function sendRaw(to: string, body: string): void {
    if (stopped) return;
    observer.record({ atMs: Date.now(), observer: id, dir: "out", from: id, to, body });
    transport.send(queueUrlOf(net, to), body, to);
  }

  async function sendAlone(to: string, body: string): Promise<{ ok: true } | { ok: false; detail: string }> {
    if (stopped) return { ok: false, detail: "the probe is stopped" };
    observer.record({ atMs: Date.now(), observer: id, dir: "out", from: id, to, body });
    try {
      await sendMessage(env.client, queueUrlOf(net, to), body);
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: describeSqsError(err) };
    }
  }

  function send<T extends MessageType>(to: string, type: T, extra: Extra<T>, over: { msgId?: string; timestamp?: string } = {}): MessageOf<T> {
    const m = build(type, { sender: id, nowMs: Date.now(), msgId: over.msgId ?? nextMsgId() }, extra);
    if (over.timestamp !== undefined) (m as { timestamp: string }).timestamp = over.timestamp;
    sendRaw(to, encode(m));
    return m;
  }

  function handle(body: string): void {
    const s = observer.record({ atMs: Date.now(), observer: id, dir: "in", to: id, body });
    if (muted || !s.parsed.ok) return;
    const m = s.parsed.message;
    if (m.type === "PING" && autoPong) send(m.sender, "PONG", { seq: m.seq });
    // A node that learned of us from a PEER_LIST says HELLO: answer as any peer would.
    if (m.type === "HELLO") send(m.sender, "PEER_LIST", { peers: [{ node_id: id, queue_url: queueUrl }] });
  }

  const transport: Transport = createTransport({ client: env.client, queueUrl, waitTimeSeconds: 2, handle });
  transport.start();

  // Often enough to stay a contributor (a report within 6 rechoke intervals) and to report every epoch.
  const viewsTimer = setInterval(() => {
    if (muted || reports === "none") return;
    const now = Date.now();
    const epoch = epochOf(now, timing.epochMs);
    env.content.forEach((item, i) => {
      if (reports === "token" && i > 0) return;
      const truth = trueCount(env.seed, item.content_id, epoch);
      const count = reports === "liar" && liarLies(i, epoch) ? truth + LIAR_OFFSET : truth;
      send(env.target, "VIEW_EVENT", { event_id: `${id}-ev-${epoch}-${i}`, content_id: item.content_id, count, ad_id: item.ad_id });
    });
  }, probeReportEveryMs(timing));

  return {
    id,
    queueUrl,
    sendRaw,
    sendAlone,
    send,
    nextMsgId,
    setReports: (m) => void (reports = m),
    setAutoPong: (on) => void (autoPong = on),
    mute: () => void (muted = true),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(viewsTimer);
      await transport.stop(2_000);
    },
  };
}
