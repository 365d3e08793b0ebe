/**
 * The network every test runs on and the fast timings they run at, in one
 * place. The names are the code's own defaults (the notebook's region,
 * account and prefix), so a test speaks the network a user's node does.
 */
import { DEFAULT_NETWORK, timingMs, type TimingSeconds } from "../../src/core/settings.ts";
import type { TimingMs } from "../../src/core/types.ts";
import { queueName as queueNameOf, queueUrlOf, type NetworkId } from "../../src/protocol/index.ts";

export const NET: NetworkId = DEFAULT_NETWORK;
export const ACCOUNT = NET.account;
export const queueName = (id: string) => queueNameOf(NET.prefix, id);
/** The AWS-form URL of a queue by its name (a node's: queueName(id)). */
export const awsQueueUrl = (name: string) => `https://sqs.${NET.region}.amazonaws.com/${NET.account}/${name}`;
export const queueUrl = (id: string) => queueUrlOf(NET, id);

/**
 * Fast timings: heartbeats twice a second, epochs of 1 s, so a peer is
 * suspect within 2 s and bot-charlie is flagged within seconds.
 */
export const FAST_TIMING_S: TimingSeconds = { heartbeat: 0.5, gossip: 1, views: 0.5, audit: 1, epoch: 1, rechoke: 1, optimistic: 3 };
/** The same, as the core takes them. */
export const FAST_TIMING_MS: TimingMs = timingMs(FAST_TIMING_S);
/** The same, as a fleet.yaml line (JSON is a YAML flow mapping). */
export const FAST_TIMING = `timing: ${JSON.stringify(FAST_TIMING_S)}`;
