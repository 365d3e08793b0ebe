import { describe, expect, test } from "bun:test";
import { isAuditable, tally, type Vote } from "../../src/core/audit.ts";
import { epochOf, trueCount } from "../../src/core/views.ts";
import { deliver, eventsOf, introduce, makeNode, msg, peer, sendsOf, T0, tickUntil } from "./helpers.ts";

const v = (reporter: string, count: number, weight: number): Vote => ({ reporter, count, weight });

describe("VOTE-4, VOTE-5: weighted vote (docs/protocol.md §8)", () => {
  test.each([
    ["three agree", [v("a", 5, 0.5), v("b", 5, 0.5), v("c", 5, 0.5)], 5, 1],
    ["two against one, equal weights", [v("a", 5, 0.5), v("b", 5, 0.5), v("c", 9, 0.5)], 5, 0.67],
    ["a heavy liar outweighs", [v("a", 5, 0.2), v("b", 5, 0.2), v("c", 9, 0.9)], 9, 0.69],
    ["own report 0.5 cannot outvote two honest peers", [v("me", 9, 0.5), v("b", 5, 0.5), v("c", 5, 0.5)], 5, 0.67],
    ["tie goes to the smaller count", [v("a", 9, 0.5), v("b", 5, 0.5), v("c", 7, 0.25), v("d", 7, 0.25)], 5, 0.33],
    ["tie of three counts", [v("a", 300, 1), v("b", 200, 1), v("c", 100, 1)], 100, 0.33],
    ["confidence rounds to 2 decimals", [v("a", 1, 2), v("b", 1, 1), v("c", 2, 1), v("d", 3, 2)], 1, 0.5],
    ["all different, one heavier", [v("a", 1, 0.3), v("b", 2, 0.31), v("c", 3, 0.3)], 2, 0.34],
  ])("%s", (_name, votes, agreed, confidence) => {
    const r = tally(votes as Vote[]);
    expect(r).not.toBeNull();
    expect(r!.agreed_count).toBe(agreed as number);
    expect(r!.confidence).toBe(confidence as number);
    expect(r!.voters).toEqual((votes as Vote[]).map((x) => x.reporter));
  });

  test.each([
    ["no reports", []],
    ["two reporters", [v("a", 5, 1), v("b", 5, 1)]],
    ["three reports from two reporters", [v("a", 5, 1), v("a", 6, 1), v("b", 5, 1)]],
  ])("%s: no audit", (_name, votes) => expect(tally(votes as Vote[])).toBeNull());

  test.each([
    // epoch, now (ms), epochMs, viewsMs -> auditable
    [0, 30_000, 30_000, 10_000, false],
    [0, 39_999, 30_000, 10_000, false],
    [0, 40_000, 30_000, 10_000, true],
    [1, 70_000, 30_000, 10_000, true],
    [2, 70_000, 30_000, 10_000, false],
  ])("epoch %d at %d (epoch %d ms, views %d ms): %p", (e, now, em, vm, ok) =>
    expect(isAuditable(e, now, em, vm)).toBe(ok),
  );
});

describe("audit task", () => {
  const E = 30_000;
  const epoch = epochOf(T0, E);
  const truth = (content: string) => trueCount("ds2032", content, epoch);
  const view = (sender: string, count: number, at = T0 + 1_000, eventId = `evt-${sender}-${at}`) =>
    msg("VIEW_EVENT", sender, { event_id: eventId, content_id: "show:midnight-run", count, ad_id: "ad-7" }, at);

  function setup(content = true) {
    const { node } = makeNode("hugo", "node", content ? {} : { content: [] });
    introduce(node, ["bot-alpha", "bot-bravo", "bot-charlie"]);
    return node;
  }

  test("VOTE-1, AUDIT-4: votes once per (content, epoch) after the epoch and one views interval, and tells unchoked live peers", () => {
    const node = setup(false);
    const t = truth("show:midnight-run");
    deliver(node, view("bot-alpha", t), T0 + 1_000);
    deliver(node, view("bot-bravo", t), T0 + 1_000);
    deliver(node, view("bot-charlie", t + 7), T0 + 1_000);
    // The first audit round (T0 + 30 s) is too early: the epoch ends at T0 + 30 s, plus 10 s of views.
    const early = tickUntil(node, T0 + 30_000);
    expect(eventsOf(early, "audit")).toEqual([]);
    const out = tickUntil(node, T0 + 60_000);
    const audits = eventsOf(out, "audit");
    expect(audits).toEqual([
      { type: "audit", content_id: "show:midnight-run", epoch, agreed_count: t, confidence: 0.67, voters: ["bot-alpha", "bot-bravo", "bot-charlie"] },
    ]);
    expect(new Set(sendsOf(out, "AUDIT_RESULT").map((s) => s.to))).toEqual(new Set(["bot-alpha", "bot-bravo", "bot-charlie"]));
    // Audited once only, even when a late report for the epoch arrives.
    deliver(node, view("bot-alpha", t, T0 + 2_000), T0 + 61_000);
    expect(eventsOf(tickUntil(node, T0 + 120_000), "audit")).toEqual([]);
    expect(node.snapshot(T0 + 120_000).counters.dropped.stale_view_event).toBe(1);
  });

  test("VIEW-4: the latest report per reporter counts, whatever the delivery order", () => {
    const node = setup(false);
    const t = truth("show:midnight-run");
    deliver(node, view("bot-charlie", t, T0 + 20_000), T0 + 20_000);
    deliver(node, view("bot-charlie", t + 5, T0 + 5_000), T0 + 21_000); // older, delivered late
    deliver(node, view("bot-alpha", t), T0 + 1_000);
    deliver(node, view("bot-bravo", t + 1), T0 + 1_000);
    const [audit] = eventsOf(tickUntil(node, T0 + 60_000), "audit");
    expect(audit?.agreed_count).toBe(t);
    expect(audit?.confidence).toBe(0.67);
  });

  test("VIEW-3: a replayed VIEW_EVENT (same event_id, new msg_id) is not a second vote", () => {
    const node = setup(false);
    const t = truth("show:midnight-run");
    deliver(node, view("bot-alpha", t), T0 + 1_000);
    deliver(node, view("bot-alpha", t), T0 + 1_500);
    deliver(node, view("bot-bravo", t), T0 + 1_000);
    expect(eventsOf(tickUntil(node, T0 + 60_000), "audit")).toEqual([]);
    expect(node.snapshot(T0 + 60_000).counters.duplicates).toBe(1);
  });

  test("VOTE-3, REP-1: its own report counts with weight 0.5, and peers are scored against the result", () => {
    const node = setup(true);
    const t = truth("show:midnight-run");
    // Own reports are published at T0 + 10 s and 20 s; the two bots agree with them, charlie does not.
    deliver(node, view("bot-alpha", t), T0 + 1_000);
    deliver(node, view("bot-charlie", t + 3), T0 + 1_000);
    const out = tickUntil(node, T0 + 60_000);
    const audit = eventsOf(out, "audit").find((a) => a.content_id === "show:midnight-run");
    expect(audit?.voters.sort()).toEqual(["bot-alpha", "bot-charlie", "hugo"]);
    expect(audit?.agreed_count).toBe(t);
    expect(audit?.confidence).toBe(0.67);
    expect(peer(node, "bot-alpha")?.reputation).toEqual({ score: 0.6667, agree: 1, disagree: 0, reports: 1 });
    expect(peer(node, "bot-charlie")?.reputation).toEqual({ score: 0.3333, agree: 0, disagree: 1, reports: 1 });
    expect(peer(node, "bot-bravo")?.reputation.reports).toBe(0);
  });

  test("recent audits in the snapshot are bounded to 20", () => {
    const { node } = makeNode("bot-alpha", "bot-alpha");
    for (let i = 0; i < 40; i++) {
      const at = T0 + i * E + 1_000;
      introduce(node, ["bot-bravo", "bot-charlie", "hugo"], at);
      for (const s of ["bot-bravo", "bot-charlie", "hugo"]) {
        deliver(node, msg("VIEW_EVENT", s, { event_id: `e${i}`, content_id: "c", count: 1, ad_id: "" }, at), at);
      }
      tickUntil(node, at + E - 1_000);
    }
    const audits = node.snapshot(T0 + 40 * E).audits;
    expect(audits.length).toBe(20);
    expect(audits.at(-1)!.epoch).toBeGreaterThan(audits[0]!.epoch);
  });
});
