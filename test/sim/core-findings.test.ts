import { describe, expect, test } from "bun:test";
import { defaultNodeConfig } from "../../src/core/config.ts";
import { DEFAULT_NETWORK, DEFAULT_SCALE_BOUNDS } from "../../src/core/settings.ts";
import { createDedupe, dedupeKey } from "../../src/core/dedupe.ts";
import { createNode } from "../../src/core/node.ts";
import type { NodeCore } from "../../src/core/types.ts";
import { build, queueUrlOf } from "../../src/protocol/index.ts";
import { createRng } from "../../src/core/rng.ts";
import { simulate } from "../../src/sim/run.ts";
import { TEST_TIMEOUT_MS } from "../support/timeouts.ts";

/**
 * Behaviour of the node core that the simulator found wrong, each named
 * after the scenario and seed that found it. Each replays with
 * `bun src/sim/main.ts` and the same options.
 */
describe("found by the simulator", () => {
  test("long-partition seed 1: a partition longer than the forget threshold still heals", () => {
    // 8 minutes apart: each side forgets the other (dead for 30 heartbeats), bootstrap included.
    const r = simulate({ nodes: 8, minutes: 20, liars: 1, seed: 1, partition: true, partitionForMs: 8 * 60_000, wire: "object" });
    expect(r.figures.reconverge.reconvergedMs).not.toBeNull();
    expect(r.figures.reconverge.convergedAtEnd).toBe(true);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test("partition-choke seed 7: a CHOKE lost while the peer was unreachable is told again when it returns", () => {
    const r = simulate({ nodes: 8, minutes: 10, liars: 2, seed: 7, partition: true, wire: "object" });
    expect(r.figures.chokeDisagreeExamples).toEqual([]);
    expect(r.figures.chokeViewsDisagreeing).toBe(0);
  });

  test.each([
    ["30 nodes, seed 8", { nodes: 30, minutes: 15, liars: 3, crash: 2, dup: 0.1, seed: 8 }],
    ["50 nodes, seed 1 (the README's example)", { nodes: 50, minutes: 30, liars: 5, crash: 2, dup: 0.1, seed: 1 }],
  ])("large-partition %s: a prober across a healed partition calls a peer dead; who asked it nothing since it spoke does not take that up", (_name, o) => {
    const r = simulate({ ...o, partition: true, wire: "object" });
    expect(r.network.dropped.partition).toBeGreaterThan(0);
    expect(r.figures.failureDetection.falseSuspicions).toBe(0);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  }, TEST_TIMEOUT_MS);

  /** The dedupe as it was before the FIFO (iterating the Map from its head on every call), kept as the reference. */
  function referenceDedupe(max: number, windowMs: number) {
    const seenAt = new Map<string, number>();
    const prune = (nowMs: number) => {
      for (const [key, atMs] of seenAt) {
        if (seenAt.size <= max && atMs > nowMs - windowMs) break;
        seenAt.delete(key);
      }
    };
    const has = (key: string, nowMs: number) => {
      prune(nowMs);
      const atMs = seenAt.get(key);
      return atMs !== undefined && atMs > nowMs - windowMs;
    };
    const add = (key: string, atMs: number) => {
      seenAt.delete(key);
      seenAt.set(key, atMs);
      if (seenAt.size > max) prune(atMs);
    };
    return {
      firstSeen(key: string, nowMs: number) {
        if (has(key, nowMs)) return false;
        add(key, nowMs);
        return true;
      },
      has,
      add,
      delete: (key: string) => seenAt.delete(key),
      get size() {
        return seenAt.size;
      },
    };
  }

  // Second parts as short labels, and as msg_ids: 8 hex digits (kept as numbers), with look-alikes kept as text
  // (upper case, 8 decimal digits that also read as hex, decimals that name the same number).
  const secondParts: Record<string, (rng: ReturnType<typeof createRng>) => string> = {
    labels: (rng) => String(rng.int(400)),
    "msg ids": (rng) => {
      const v = rng.int(300);
      const hex = v.toString(16).padStart(8, "0");
      return [hex, hex.toUpperCase(), String(v).padStart(8, "0"), String(v).padStart(9, "0"), String(parseInt(hex, 16))][rng.int(5)]!;
    },
  };

  test.each([
    [50, 1_000, "labels", "mostly fresh keys"],
    [20, 5_000, "labels", "a small table, always full"],
    [10_000, 200, "labels", "a short window"],
    [50, 1_000, "msg ids", "mostly fresh keys"],
    [20, 5_000, "msg ids", "a small table, always full"],
    [10_000, 200, "msg ids", "a short window"],
  ])("scale-50x20 seed 1: the dedupe answers as before (max %d, window %d ms, %s: %s)", (max, windowMs, parts) => {
    const rng = createRng(`dedupe-${max}-${windowMs}`);
    const fast = createDedupe(max, windowMs);
    const slow = referenceDedupe(max, windowMs);
    let nowMs = 0;
    for (let i = 0; i < 50_000; i++) {
      nowMs += rng.int(3) === 0 ? rng.int(50) : 0;
      // Keys repeat often enough to hit every path: repeat inside the window, after it, and never;
      // 20 senders share the second parts, so most of them meet another sender's.
      const key = dedupeKey(`n${rng.int(20)}`, secondParts[parts]!(rng));
      expect(fast.firstSeen(key, nowMs)).toBe(slow.firstSeen(key, nowMs));
      expect(fast.size).toBe(slow.size);
    }
  });

  test.each([
    [50, 1_000, "labels"],
    [20, 5_000, "msg ids"],
    [10_000, 200, "msg ids"],
  ])("scale-50x20 seed 1: asks, adds and deletes in any order answer as before (max %d, window %d ms, %s)", (max, windowMs, parts) => {
    const rng = createRng(`dedupe-mixed-${max}-${windowMs}`);
    const fast = createDedupe(max, windowMs);
    const slow = referenceDedupe(max, windowMs);
    let nowMs = 0;
    // An ask about one key then an add of another (same second part, other sender), deletes between: the
    // core asks then adds the same key, but the table must not lean on that.
    let asked = "";
    for (let i = 0; i < 50_000; i++) {
      nowMs += rng.int(3) === 0 ? rng.int(50) : 0;
      // Half the adds are of the key last asked about, deletes and other adds coming between.
      const op = rng.int(6);
      const key = op === 5 ? asked : dedupeKey(`n${rng.int(20)}`, secondParts[parts]!(rng));
      if (op === 0) {
        fast.delete(key);
        slow.delete(key);
      } else if (op <= 2) {
        expect(fast.has(key, nowMs)).toBe(slow.has(key, nowMs));
        asked = key;
      } else {
        fast.add(key, nowMs);
        slow.add(key, nowMs);
      }
      expect(fast.size).toBe(slow.size);
    }
  });

  describe("scale-560 seed 1: a full table of live peers", () => {
    const T0 = Date.UTC(2026, 0, 1);
    let n = 0;
    const from = (node: NodeCore, sender: string, type: "HELLO" | "PING", nowMs: number) =>
      node.handle(
        type === "HELLO"
          ? build("HELLO", { sender, nowMs, msgId: (++n).toString(16).padStart(8, "0") }, { queue_url: queueUrlOf(DEFAULT_NETWORK, sender) })
          : build("PING", { sender, nowMs, msgId: (++n).toString(16).padStart(8, "0") }, { seq: n }),
        nowMs,
      );
    const full = () => {
      const node = createNode(defaultNodeConfig("hub", "node", { bootstrap: [] }), createRng("hub"), T0);
      node.start(T0);
      for (let i = 0; i < 500; i++) from(node, `p${i}`, "HELLO", T0);
      return node;
    };

    test("turns a newcomer away while no peer is dead, and makes room once one is", () => {
      const node = full();
      const turned = from(node, "late-1", "HELLO", T0 + 1);
      expect(turned.events).toContainEqual({ type: "dropped", what: "peers_table_full", count: 1, peer: "late-1" });
      // Everyone but p7 keeps talking: p7 alone goes dead, 6 heartbeats after the PING that finds it silent.
      // A table this large is PINGed a few peers a heartbeat (docs/protocol.md SCALE-2): at most two rounds.
      const roundBeats = Math.ceil(500 / (DEFAULT_SCALE_BOUNDS.probes_per_beat - DEFAULT_SCALE_BOUNDS.urgent_per_beat));
      let t = T0;
      const p7 = () => node.snapshot(t).peers.find((p) => p.id === "p7")?.status;
      for (let beat = 1; beat <= 2 * roundBeats + 7 && p7() !== "dead"; beat++) {
        t = T0 + beat * 10_000;
        for (let i = 0; i < 500; i++) if (i !== 7) from(node, `p${i}`, "PING", t);
        node.tick(t);
      }
      expect(p7()).toBe("dead");
      expect(node.snapshot(t).peers.filter((p) => p.status !== "alive").map((p) => p.id)).toEqual(["p7"]);
      const admitted = from(node, "late-2", "HELLO", t + 1);
      expect(admitted.events).toContainEqual({ type: "peer_forgotten", peer: "p7" });
      expect(admitted.events).toContainEqual({ type: "peer_added", peer: "late-2", via: "hello" });
      // The table is full of live peers again: the next newcomer is turned away.
      expect(from(node, "late-3", "HELLO", t + 2).events).toContainEqual({ type: "dropped", what: "peers_table_full", count: 1, peer: "late-3" });
    });

    test("answers a HELLO with 50 distinct live entries, itself first, never the addressee", () => {
      const node = full();
      const out = from(node, "p3", "HELLO", T0 + 1);
      const list = out.sends.find((x) => x.message.type === "PEER_LIST");
      expect(list?.to).toBe("p3");
      const peers = list!.message.type === "PEER_LIST" ? list!.message.peers.map((e) => e.node_id) : [];
      expect(peers).toHaveLength(50);
      expect(peers[0]).toBe("hub");
      expect(new Set(peers).size).toBe(50);
      expect(peers).not.toContain("p3");
    });
  });

  test("restart-audit seed 51: a node restarted fresh never blames an honest peer for epochs it slept through", () => {
    const r = simulate({ nodes: 8, liars: 2, minutes: 10, crash: 2, partition: true, silence: 1, seed: 51, wire: "object" });
    expect(r.figures.reputation.honestFlaggedExamples).toEqual([]);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  test("restart-audit: reports left in the queue from before the start are not audited; later epochs are", () => {
    const epochMs = 30_000;
    const T0 = Date.UTC(2026, 0, 1); // on an epoch boundary
    const node = createNode(defaultNodeConfig("hugo", "node", { bootstrap: [], seed: "s" }), createRng("hugo"), T0);
    node.start(T0);
    let n = 0;
    const view = (sender: string, tsMs: number, count: number, nowMs: number) =>
      node.handle(
        build("VIEW_EVENT", { sender, nowMs: tsMs, msgId: (++n).toString(16).padStart(8, "0") }, { event_id: `evt-${n}`, content_id: "show:x", count, ad_id: "ad-1" }),
        nowMs,
      );
    const reportAll = (tsMs: number, nowMs: number) => {
      view("alpha", tsMs, 500, nowMs);
      view("liar-1", tsMs, 300, nowMs);
      view("liar-2", tsMs, 400, nowMs);
    };
    // The epoch before the start, as a queue backlog: one honest report and two different lies.
    const slept = T0 / epochMs - 1;
    reportAll(T0 - epochMs + 1_000, T0 + 1);
    const audited: number[] = [];
    for (let t = T0 + 10_000; t <= T0 + 5 * epochMs; t += 10_000) {
      reportAll(t - 5_000, t);
      for (const e of node.tick(t).events) if (e.type === "audit") audited.push(e.epoch);
    }
    expect(audited).not.toContain(slept);
    expect(audited).toContain(slept + 1);
  });
});
