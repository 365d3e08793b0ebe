import { describe, expect, test } from "bun:test";
import { LIMITS } from "../../src/core/config.ts";
import { deliver, eventsOf, introduce, makeNode, msg, peer, sendsOf, T0, tickUntil, urlOf } from "./helpers.ts";

const EVIL = "https://evil.example.com/194722398367/ds2032-node-mallory-p2p";

describe("HELLO", () => {
  test("HELLO-2, HELLO-3, PEERS-2: adds the sender and answers a PEER_LIST naming the node first, then its live peers", () => {
    const { node } = makeNode();
    introduce(node, ["bot-alpha"]);
    const out = deliver(node, msg("HELLO", "sam", { queue_url: urlOf("sam") }));
    expect(eventsOf(out, "peer_added")).toEqual([{ type: "peer_added", peer: "sam", via: "hello" }]);
    const [reply] = sendsOf(out, "PEER_LIST");
    expect(reply?.to).toBe("sam");
    expect(reply?.queueUrl).toBe(urlOf("sam"));
    expect(reply?.message.type === "PEER_LIST" && reply.message.peers).toEqual([
      { node_id: "hugo", queue_url: urlOf("hugo") },
      { node_id: "bot-alpha", queue_url: urlOf("bot-alpha") },
    ]);
  });

  test.each([
    ["another host", EVIL, "wrong_host"],
    ["another account", "https://sqs.us-east-1.amazonaws.com/111111111111/ds2032-node-mallory-p2p", "wrong_account"],
    ["another node's queue", urlOf("bot-alpha"), "other_node"],
    ["not a URL", "my queue", "not_a_url"],
  ])("a queue_url on %s is rejected and replies go to the naming-scheme URL", (_name, url, reason) => {
    const { node } = makeNode();
    const out = deliver(node, msg("HELLO", "mallory", { queue_url: url }));
    expect(eventsOf(out, "url_rejected").map((e) => e.reason)).toEqual([reason]);
    expect(out.sends.map((s) => s.queueUrl)).toEqual([urlOf("mallory")]);
    expect(peer(node, "mallory")?.queueUrl).toBe(urlOf("mallory"));
    expect(node.snapshot(T0).counters.urlRejected).toBe(1);
  });

  test("WIRE-8: an echo of the node's own HELLO adds nothing and is not answered", () => {
    const { node } = makeNode();
    const out = deliver(node, msg("HELLO", "hugo", { queue_url: urlOf("hugo") }));
    expect(out.sends).toEqual([]);
    expect(node.snapshot(T0).peers).toEqual([]);
    expect(node.snapshot(T0).counters.dropped.from_self).toBe(1);
  });

  test("WIRE-4: a redelivered message is handled once", () => {
    const { node } = makeNode();
    const hello = msg("HELLO", "sam", { queue_url: urlOf("sam") });
    expect(deliver(node, hello).sends.length).toBe(1);
    const again = deliver(node, hello, T0 + 5_000);
    expect(again.sends).toEqual([]);
    expect(eventsOf(again, "duplicate")).toEqual([{ type: "duplicate", sender: "sam", msgId: hello.msg_id }]);
    // The same msg_id from another sender is another message.
    expect(deliver(node, { ...hello, sender: "phin", queue_url: urlOf("phin") }).sends.length).toBe(1);
  });
});

describe("PEER_LIST", () => {
  test("PEERS-4, JOIN-3: merges unknown peers (never itself), says HELLO to each new one, and ends the join", () => {
    const { node } = makeNode("hugo", "node", { bootstrap: ["bot-alpha"] });
    introduce(node, ["sam"]);
    const out = deliver(
      node,
      msg("PEER_LIST", "bot-alpha", {
        peers: [
          { node_id: "bot-alpha", queue_url: urlOf("bot-alpha") },
          { node_id: "hugo", queue_url: urlOf("hugo") },
          { node_id: "sam", queue_url: urlOf("sam") },
          { node_id: "phin" },
          { node_id: "mallory", queue_url: EVIL },
        ],
      }),
    );
    expect(eventsOf(out, "peer_added").map((e) => e.peer)).toEqual(["phin"]);
    expect(sendsOf(out, "HELLO").map((s) => [s.to, s.queueUrl])).toEqual([["phin", urlOf("phin")]]);
    expect(eventsOf(out, "url_rejected").map((e) => e.peer)).toEqual(["mallory"]);
    expect(eventsOf(out, "joined")).toEqual([{ type: "joined", via: "bot-alpha" }]);
    expect(peer(node, "mallory")).toBeUndefined();
    expect(node.snapshot(T0).counters.dropped.self_in_peer_list).toBe(1);
  });

  test("PEERS-3: an unknown sender is added with the URL of its own entry", () => {
    const { node } = makeNode();
    const out = deliver(node, msg("PEER_LIST", "sam", { peers: [{ node_id: "sam", queue_url: urlOf("sam") }] }));
    expect(eventsOf(out, "peer_added")).toEqual([{ type: "peer_added", peer: "sam", via: "peer_list" }]);
    expect(peer(node, "sam")?.queueUrl).toBe(urlOf("sam"));
  });

  test("BOUND-2: over 50 entries: the first 50 are merged, the rest counted as peer_list_over_max", () => {
    const { node } = makeNode();
    const peers = Array.from({ length: 80 }, (_, i) => ({ node_id: `n${i}` }));
    const out = deliver(node, msg("PEER_LIST", "n0", { peers }));
    expect(eventsOf(out, "peer_added").length).toBe(LIMITS.peerListMax);
    expect(node.snapshot(T0).counters.dropped.peer_list_over_max).toBe(30);
    expect(peer(node, "n50")).toBeUndefined();
  });

  test("BOUND-3: the table stops at 500 peers; extra ones are counted, and a dead peer makes room", () => {
    const { node } = makeNode();
    for (let b = 0; b < 11; b++) {
      const peers = Array.from({ length: 50 }, (_, i) => ({ node_id: `p${b}-${i}` }));
      deliver(node, msg("PEER_LIST", `p${b}-0`, { peers }));
    }
    const snap = node.snapshot(T0);
    expect(snap.peers.length).toBe(LIMITS.peersMax);
    expect(snap.counters.dropped.peers_table_full).toBe(50);
  });

  test("BOUND-1: a PEER_LIST we send lists at most 50 entries", () => {
    const { node } = makeNode();
    for (let b = 0; b < 3; b++) deliver(node, msg("PEER_LIST", `q${b}-0`, { peers: Array.from({ length: 50 }, (_, i) => ({ node_id: `q${b}-${i}` })) }));
    const [reply] = sendsOf(deliver(node, msg("HELLO", "sam", { queue_url: urlOf("sam") })), "PEER_LIST");
    expect(reply?.message.type === "PEER_LIST" && reply.message.peers.length).toBe(50);
    expect(reply?.message.type === "PEER_LIST" && reply.message.peers[0]?.node_id).toBe("hugo");
  });
});

describe("PING and PONG", () => {
  test("PING-1, PING-4: a PING is answered with a PONG of the same seq, from strangers too", () => {
    const { node } = makeNode();
    const out = deliver(node, msg("PING", "sam", { seq: 41 }));
    expect(out.sends.map((s) => [s.to, s.queueUrl, s.message.type === "PONG" && s.message.seq])).toEqual([["sam", urlOf("sam"), 41]]);
    expect(eventsOf(out, "peer_added")).toEqual([{ type: "peer_added", peer: "sam", via: "message" }]);
  });

  test("PONG-2, FAIL-1: a PONG for a seq never sent gives no RTT (unknown_pong) but is a sign of life from a known peer, none from a stranger", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    const out = deliver(node, msg("PONG", "sam", { seq: 999 }), T0 + 1_000);
    expect(eventsOf(out, "dropped")).toEqual([{ type: "dropped", what: "unknown_pong", count: 1, peer: "sam" }]);
    expect(peer(node, "sam")?.lastSeenMs).toBe(T0 + 1_000);
    expect(peer(node, "sam")?.rttMs).toBeNull();
    deliver(node, msg("PONG", "stranger", { seq: 1 }));
    expect(peer(node, "stranger")).toBeUndefined();
    expect(node.snapshot(T0).counters.dropped.unknown_pong).toBe(2);
  });

  test("FAIL-1: a suspect peer answering a PING we no longer hold is alive again", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    tickUntil(node, T0 + 35_000);
    expect(peer(node, "sam", T0 + 35_000)?.status).toBe("suspect");
    const out = deliver(node, msg("PONG", "sam", { seq: 123_456 }, T0 + 35_000), T0 + 35_000);
    expect(eventsOf(out, "peer_status").map((e) => `${e.from}>${e.to}`)).toEqual(["suspect>alive"]);
    expect(peer(node, "sam", T0 + 35_000)?.status).toBe("alive");
  });

  test("PONG-1: the matching PONG gives the round-trip time, once", () => {
    const { node } = makeNode();
    introduce(node, ["sam"]);
    const [ping] = sendsOf(node.tick(T0 + 10_000), "PING");
    const seq = ping?.message.type === "PING" ? ping.message.seq : -1;
    deliver(node, msg("PONG", "sam", { seq }, T0 + 10_250), T0 + 10_250);
    expect(peer(node, "sam")?.rttMs).toBe(250);
    expect(node.snapshot(T0 + 10_250).rttP50Ms).toBe(250);
    deliver(node, msg("PONG", "sam", { seq }, T0 + 10_900), T0 + 10_900);
    expect(peer(node, "sam")?.rttMs).toBe(250);
    expect(node.snapshot(T0).counters.dropped.unknown_pong).toBe(1);
  });
});

describe("VIEW_EVENT and AUDIT_RESULT", () => {
  test.each([
    ["an hour old", T0 - 3_600_000],
    ["ten minutes ahead", T0 + 600_000],
  ])("a VIEW_EVENT %s is dropped as stale_view_event", (_name, ts) => {
    const { node } = makeNode();
    deliver(node, msg("VIEW_EVENT", "sam", { event_id: "e1", content_id: "c", count: 1, ad_id: "" }, ts), T0);
    expect(node.snapshot(T0).counters.dropped.stale_view_event).toBe(1);
  });

  test("in counts handled messages by type (not repeats, not our own echoes), out what was sent", () => {
    const { node } = makeNode();
    const first = msg("PING", "sam", { seq: 1 });
    deliver(node, first);
    deliver(node, first);
    deliver(node, msg("PING", "hugo", { seq: 9 }));
    deliver(node, msg("PING", "sam", { seq: 2 }));
    deliver(node, msg("AUDIT_RESULT", "sam", { content_id: "c", agreed_count: 1, confidence: 1, voters: ["sam"] }));
    const c = node.snapshot(T0).counters;
    expect([c.in.PING, c.in.AUDIT_RESULT, c.out.PONG, c.in.HELLO]).toEqual([2, 1, 2, 0]);
    expect([c.duplicates, c.dropped.from_self]).toEqual([1, 1]);
  });
});
