import { describe, expect, test } from "bun:test";
import { trueCount } from "../../src/core/views.ts";
import { fourNodes, T0 } from "./harness.ts";

const HONEST = ["bot-alpha", "bot-bravo", "hugo"];
const ALL = [...HONEST, "bot-charlie"];
const MIN = 60_000;

/**
 * Four cores in memory with the default timing: the three bots and one
 * user's node (persona `node`). One run, observed in phases.
 */
describe("four nodes exchanging in memory", () => {
  const ex = fourNodes();
  ex.start();

  test("all discover each other within a minute", () => {
    ex.runUntil(T0 + MIN);
    for (const id of ALL) {
      const peers = ex.node(id).snapshot(ex.nowMs).peers;
      expect(peers.map((p) => p.id).sort()).toEqual(ALL.filter((x) => x !== id).sort());
      expect(peers.every((p) => p.status === "alive")).toBe(true);
      expect(peers.every((p) => p.rttMs === 80)).toBe(true); // two 40 ms hops
    }
  });

  test("after 12 minutes bot-charlie is flagged by every honest node, and no honest node by anyone", () => {
    ex.runUntil(T0 + 12 * MIN);
    for (const id of HONEST) expect(ex.peerOf(id, "bot-charlie")?.flagged).toBe(true);
    const flagged = ex.events.filter((e) => e.event.type === "peer_flagged").map((e) => e.event.type === "peer_flagged" && e.event.peer);
    expect(new Set(flagged)).toEqual(new Set(["bot-charlie"]));
    for (const id of HONEST) {
      for (const other of HONEST.filter((x) => x !== id)) expect(ex.peerOf(id, other)?.reputation.score).toBeGreaterThan(0.9);
    }
  });

  test("every audit of an honest node agrees with the truth", () => {
    const audits = ex.events.filter((e) => HONEST.includes(e.node) && e.event.type === "audit");
    // 3 items × about 23 finished epochs × 3 honest nodes.
    expect(audits.length).toBeGreaterThan(180);
    for (const { event } of audits) {
      if (event.type !== "audit") continue;
      expect(event.agreed_count).toBe(trueCount("ds2032", event.content_id, event.epoch));
    }
  });

  test("AUDIT_RESULTs from honest peers are recorded and agree with the node's own audits", () => {
    for (const id of HONEST) {
      const received = ex.node(id).snapshot(ex.nowMs).peerAudits.filter((a) => HONEST.includes(a.from));
      expect(received.length).toBeGreaterThan(0);
      const compared = received.filter((a) => a.matchesOwn !== null);
      expect(compared.length).toBeGreaterThan(0);
      expect(compared.every((a) => a.matchesOwn)).toBe(true);
    }
  });

  test("honest nodes choke the flagged bot-charlie and serve each other", () => {
    for (const id of HONEST) {
      expect(ex.peerOf(id, "bot-charlie")?.choked).toBe(true);
      for (const other of HONEST.filter((x) => x !== id)) expect(ex.peerOf(id, other)?.choked).toBe(false);
    }
  });

  test("a silenced node becomes suspect, then dead, then alive again when it speaks", () => {
    const from = ex.nowMs;
    ex.silenced.add("bot-bravo");
    ex.runUntil(from + 2 * MIN);
    for (const id of ["bot-alpha", "hugo", "bot-charlie"]) expect(ex.peerOf(id, "bot-bravo")?.status).toBe("dead");
    ex.silenced.delete("bot-bravo");
    ex.runUntil(from + 4 * MIN);
    for (const id of ["bot-alpha", "hugo", "bot-charlie"]) {
      const changes = ex.events
        .filter((e) => e.node === id && e.atMs >= from && e.event.type === "peer_status" && e.event.peer === "bot-bravo")
        .map((e) => (e.event.type === "peer_status" ? `${e.event.from}>${e.event.to}` : ""));
      expect(changes).toEqual(["alive>suspect", "suspect>dead", "dead>alive"]);
      expect(ex.peerOf(id, "bot-bravo")?.status).toBe("alive");
    }
  });

  test("nothing was rejected, duplicated or refused along the way", () => {
    for (const id of ALL) {
      const c = ex.node(id).snapshot(ex.nowMs).counters;
      expect(c.rejected).toEqual({});
      expect(c.urlRejected).toBe(0);
      expect(c.duplicates).toBe(0);
    }
  });
});
