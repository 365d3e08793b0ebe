import { describe, expect, test } from "bun:test";
import { buildCliMessage, parseSet } from "../../src/fleet/send.ts";
import { commandNodeEnv } from "../../src/fleet/node-env.ts";
import { UserError } from "../../src/fleet/cli-context.ts";
import type { NetworkId } from "../../src/protocol/index.ts";
import { NET as DEFAULT_NET } from "../support/network.ts";

const NET: NetworkId = { ...DEFAULT_NET, localPort: 4566 };
const HUGO_URL = "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-hugo-p2p";
const CONTENT = [{ content_id: "show:dawn-patrol", ad_id: "ad-3" }];

const msg = (type: string, sets: string[] = []) =>
  buildCliMessage({ type, from: "hugo", sets, net: NET, content: CONTENT, nowMs: Date.UTC(2026, 10, 24, 14, 3, 8, 124), msgId: "0a1b2c3d" });

describe("fleet send builds a valid message of each type", () => {
  test.each<[string, string[], Record<string, unknown>]>([
    ["HELLO", [], { queue_url: HUGO_URL }],
    ["hello", [], { type: "HELLO" }],
    ["PEER_LIST", [], { peers: [{ node_id: "hugo", queue_url: HUGO_URL }] }],
    ["PING", [], { seq: 1 }],
    ["PING", ["seq=42"], { seq: 42 }],
    ["PONG", ["seq=7"], { seq: 7 }],
    ["VIEW_EVENT", [], { content_id: "show:dawn-patrol", ad_id: "ad-3", count: 100, event_id: "hugo-0a1b2c3d" }],
    ["VIEW_EVENT", ["count=512", "content_id=movie:last-signal"], { count: 512, content_id: "movie:last-signal" }],
    ["AUDIT_RESULT", [], { agreed_count: 100, confidence: 1, voters: ["hugo"] }],
    ["AUDIT_RESULT", ['voters=["hugo","sam"]', "confidence=0.5"], { voters: ["hugo", "sam"], confidence: 0.5 }],
    ["CHOKE", [], { type: "CHOKE" }],
    ["UNCHOKE", [], { type: "UNCHOKE" }],
  ])("%s %p", (type, sets, fields) => {
    const m = msg(type, sets) as unknown as Record<string, unknown>;
    expect(m).toMatchObject({ sender: "hugo", msg_id: "0a1b2c3d", timestamp: "2026-11-24T14:03:08.124Z", ...fields });
  });
});

describe("fleet send refuses what the protocol refuses, with the field named", () => {
  test.each<[string, string, string[], string]>([
    ["unknown type", "HELO", [], "unknown message type \"HELO\"; expected one of HELLO"],
    ["negative seq", "PING", ["seq=-1"], "not a valid PING: PING.seq"],
    ["seq as text", "PING", ["seq=abc"], "PING.seq"],
    ["confidence above 1", "AUDIT_RESULT", ["confidence=1.5"], "AUDIT_RESULT.confidence"],
    ["a bad voter id", "AUDIT_RESULT", ['voters=["Not An Id"]'], "AUDIT_RESULT.voters.0"],
    ["a bad sender", "PING", ["sender=UPPER"], "PING.sender"],
    ["a --set without =", "PING", ["seq"], "expected key=value"],
  ])("%s", (_name, type, sets, fragment) => {
    let err: unknown;
    try {
      msg(type, sets);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(fragment);
    expect((err as UserError).code).toBe(2);
  });
});

describe("--set values", () => {
  test.each<[string, [string, unknown]]>([
    ["seq=5", ["seq", 5]],
    ["content_id=show:x", ["content_id", "show:x"]],
    ["voters=[\"a\"]", ["voters", ["a"]]],
    ["flag=true", ["flag", true]],
    ["note=a=b", ["note", "a=b"]],
  ])("%s", (input, want) => {
    expect(parseSet(input)).toEqual(want);
  });
});

describe("the environment of a command node", () => {
  const base = { PATH: "/usr/bin", HOME: "/home/u", AWS_PROFILE: "course", P2P_SEED: "from-the-shell" };
  const settings = {
    seed: "ds2032",
    timing: { heartbeat: 10, gossip: 15, views: 10, audit: 30, epoch: 30, rechoke: 10, optimistic: 30 },
    content: [{ content_id: "show:midnight-run", ad_id: "ad-7" }],
  };
  test.each<[string, Parameters<typeof commandNodeEnv>[0], Record<string, string | undefined>]>([
    [
      "local mode: the embedded endpoint and dummy credentials",
      { nodeId: "sam", net: NET, mode: "local", endpoint: "http://127.0.0.1:4566", bootstrap: ["bot-alpha"], settings, base },
      {
        NODE_ID: "sam",
        QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-sam-p2p",
        AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:4566",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        AWS_DEFAULT_REGION: "us-east-1",
        BOOTSTRAP: "bot-alpha",
        PATH: "/usr/bin",
      },
    ],
    [
      "aws mode: the user's own credentials chain, no endpoint",
      { nodeId: "sam", net: NET, mode: "aws", endpoint: null, bootstrap: ["bot-alpha", "bot-bravo"], settings, base },
      { AWS_ENDPOINT_URL_SQS: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: "course", BOOTSTRAP: "bot-alpha,bot-bravo" },
    ],
    [
      "the node's own env comes last",
      { nodeId: "sam", net: NET, mode: "local", endpoint: "http://127.0.0.1:4566", bootstrap: [], settings, base, own: { NODE_ID: "sam-2", LOG: "1" } },
      { NODE_ID: "sam-2", LOG: "1" },
    ],
    [
      "the network's settings (docs/protocol.md §12), over the supervisor's environment",
      { nodeId: "sam", net: NET, mode: "local", endpoint: "http://127.0.0.1:4566", bootstrap: ["bot-alpha"], settings, base },
      {
        P2P_SEED: "ds2032",
        P2P_EPOCH_S: "30",
        P2P_HEARTBEAT_S: "10",
        P2P_GOSSIP_S: "15",
        P2P_VIEWS_S: "10",
        P2P_AUDIT_S: "30",
        P2P_RECHOKE_S: "10",
        P2P_OPTIMISTIC_S: "30",
        P2P_CONTENT: '[{"content_id":"show:midnight-run","ad_id":"ad-7"}]',
        HOME: "/home/u",
      },
    ],
    [
      "fractions of a second stay as written",
      { nodeId: "sam", net: NET, mode: "local", endpoint: null, bootstrap: [], settings: { ...settings, timing: { ...settings.timing, heartbeat: 0.5, epoch: 1 } }, base },
      { P2P_HEARTBEAT_S: "0.5", P2P_EPOCH_S: "1" },
    ],
  ])("%s", (_name, input, want) => {
    const env = commandNodeEnv(input);
    for (const [k, v] of Object.entries(want)) expect(env[k]).toBe(v as string);
  });
});
