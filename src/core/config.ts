import type { NetworkId } from "../protocol/index.ts";
import { DEFAULT_BOOTSTRAP, DEFAULT_CONTENT, DEFAULT_NETWORK, DEFAULT_SEED, DEFAULT_TIMING_MS } from "./settings.ts";
import type { ContentItem, NodeConfig, Persona, TimingMs } from "./types.ts";

/**
 * The bounds of docs/protocol.md §5 and the core's own. Every table the core
 * keeps is capped by one of these, so no peer can make it grow without end.
 */
export const LIMITS = {
  /** §3: a node keeps at most 500 known peers. */
  peersMax: 500,
  /** §3: a PEER_LIST carries at most 50 entries, its sender included. */
  peerListMax: 50,
  /** §4: silent this many heartbeats makes a peer suspect. */
  suspectAfterBeats: 3,
  /** §4: silent this many heartbeats makes a peer dead. */
  deadAfterBeats: 6,
  /** §4: a dead peer is pinged only every 6th heartbeat. */
  deadPingEveryBeats: 6,
  /** §3: a peer dead for 30 heartbeats is forgotten. */
  forgetAfterDeadBeats: 30,
  /** §4 gossip: PEER_LIST to 3 random live peers. */
  gossipFanout: 3,
  /** §4 join: retry every 3 heartbeats while no PEER_LIST has come back... */
  joinRetryBeats: 3,
  /** ...backing off to once a minute. */
  joinRetryMaxMs: 60_000,
  /**
   * Redelivered (sender, msg_id) pairs and counted (sender, event_id) votes
   * remembered, and for how long. The window must outlast the longest a
   * message can take to come back: the visibility timeout (30 s) times the
   * receives a failing handler gets (5, sqs/transport.ts receivesMax), plus
   * a restart's longest backoff (30 s): 3 minutes. Ten leave room for an
   * outage. Kept across restarts by the runtime's seen journal.
   */
  dedupeMax: 20_000,
  dedupeWindowMs: 10 * 60_000,
  /** PINGs awaiting their PONG, per peer; older ones are given up as lost. */
  pendingPingsMax: 8,
  /** §4.4: contributors of the last 6 rechoke intervals stay unchoked; newcomers get as long. */
  contributionIntervals: 6,
  graceIntervals: 6,
  /** A VIEW_EVENT older than this many epochs can no longer be audited. */
  viewPastEpochsMax: 4,
  /** A VIEW_EVENT timestamped further ahead than this is from a wrong clock or a forger. */
  viewFutureMs: 60_000,
  /** (content, epoch) keys and reports kept for audits. */
  reportKeysMax: 2_000,
  reportsMax: 50_000,
  /** Reputations outlive forgotten peers, so a liar cannot wash its score by going quiet. */
  reputationsMax: 5_000,
  /** Audits kept for the snapshot. */
  recentAuditsMax: 20,
  /** Round trips kept per peer for its median: enough to ride out one slow poll. */
  rttSamplesMax: 8,
} as const;

/** §5: bot-charlie reports right half the time; everyone else is honest. */
export function personaAccuracy(persona: Persona): number {
  return persona === "bot-charlie" ? 0.5 : 1.0;
}

export interface NodeConfigOptions {
  network?: NetworkId;
  bootstrap?: string[];
  seed?: string;
  content?: ContentItem[];
  timing?: Partial<TimingMs>;
  accuracy?: number;
}

/** A complete NodeConfig from an id and persona, with the defaults of settings.ts for the rest. */
export function defaultNodeConfig(id: string, persona: Persona, opts: NodeConfigOptions = {}): NodeConfig {
  return {
    id,
    persona,
    network: opts.network ?? DEFAULT_NETWORK,
    bootstrap: opts.bootstrap ?? DEFAULT_BOOTSTRAP,
    seed: opts.seed ?? DEFAULT_SEED,
    content: opts.content ?? DEFAULT_CONTENT,
    timing: { ...DEFAULT_TIMING_MS, ...opts.timing },
    ...(opts.accuracy === undefined ? {} : { accuracy: opts.accuracy }),
  };
}
