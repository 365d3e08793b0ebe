import { describe, expect, test } from "bun:test";
import type { Health } from "../../src/fleet/health-types.ts";
import { escapeLabelValue, formatMetrics, formatValue } from "../../src/fleet/dashboard/metrics.ts";
import { healthOf } from "./fixtures.ts";
import { parsePrometheusText, seriesKey } from "./prom-text.ts";

const three = healthOf({ ids: ["bot-alpha", "bot-bravo", "bot-charlie"], liars: ["bot-charlie"], step: 20 });

describe("formatMetrics", () => {
  test.each([
    ["messages in by type", seriesKey("p2p_messages_in_total", { node: "bot-alpha", type: "PING" }), 40],
    ["messages out by type", seriesKey("p2p_messages_out_total", { node: "bot-bravo", type: "VIEW_EVENT" }), 40],
    ["rejected by reason", seriesKey("p2p_messages_rejected_total", { node: "bot-charlie", reason: "not_json" }), 1],
    ["SQS requests by action", seriesKey("p2p_sqs_requests_total", { node: "bot-alpha", action: "ReceiveMessage" }), 40],
    ["peers alive", seriesKey("p2p_peers", { node: "bot-alpha", status: "alive" }), 2],
    ["peers dead, written even when zero", seriesKey("p2p_peers", { node: "bot-alpha", status: "dead" }), 0],
    ["reputation of an honest peer", seriesKey("p2p_peer_reputation", { node: "bot-alpha", peer: "bot-bravo" }), 0.9],
    ["reputation of the liar", seriesKey("p2p_peer_reputation", { node: "bot-alpha", peer: "bot-charlie" }), 0.35],
    ["liar flagged", seriesKey("p2p_peer_flagged", { node: "bot-bravo", peer: "bot-charlie" }), 1],
    ["honest peer not flagged", seriesKey("p2p_peer_flagged", { node: "bot-charlie", peer: "bot-alpha" }), 0],
    ["rtt in seconds", seriesKey("p2p_peer_rtt_seconds", { node: "bot-alpha", peer: "bot-bravo" }), 0.005],
    ["restarts", seriesKey("p2p_node_restarts_total", { node: "bot-bravo" }), 0],
    ["state as a one-hot gauge, current", seriesKey("p2p_node_state", { node: "bot-alpha", state: "running" }), 1],
    ["state as a one-hot gauge, other", seriesKey("p2p_node_state", { node: "bot-alpha", state: "failed" }), 0],
    ["fleet: flagged by two", seriesKey("p2p_fleet_flagged_by", { node: "bot-charlie" }), 2],
    ["seen-journal failures by reason", seriesKey("p2p_journal_errors_total", { node: "bot-alpha", reason: "write_enospc" }), 2],
    ["outbox flushes to disk", seriesKey("p2p_journal_syncs_total", { node: "bot-bravo" }), 20],
    ["time in them, in seconds", seriesKey("p2p_journal_sync_seconds_total", { node: "bot-bravo" }), 10],
  ])("%s", (_what, key, value) => {
    const parsed = parsePrometheusText(formatMetrics(three));
    expect(parsed.samples.get(key)).toBe(value);
  });

  test.each([
    ["p2p_messages_in_total", "counter"],
    ["p2p_messages_rejected_total", "counter"],
    ["p2p_sqs_requests_total", "counter"],
    ["p2p_journal_errors_total", "counter"],
    ["p2p_journal_syncs_total", "counter"],
    ["p2p_node_restarts_total", "counter"],
    ["p2p_peers", "gauge"],
    ["p2p_peer_reputation", "gauge"],
  ])("%s has HELP and TYPE %s", (name, type) => {
    const parsed = parsePrometheusText(formatMetrics(three));
    expect(parsed.types.get(name)).toBe(type);
    expect(parsed.help.get(name)?.length).toBeGreaterThan(10);
  });

  test("a peer never pinged has no rtt sample rather than a made-up one", () => {
    const h = healthOf({ ids: ["a", "b"], step: 1 });
    h.nodes[0]!.peers[0]!.rtt_ms = null;
    const parsed = parsePrometheusText(formatMetrics(h));
    expect(parsed.samples.has(seriesKey("p2p_peer_rtt_seconds", { node: "a", peer: "b" }))).toBe(false);
    expect(parsed.samples.get(seriesKey("p2p_peer_rtt_seconds", { node: "b", peer: "a" }))).toBe(0.005);
  });

  test("an empty fleet still exposes every family, with no samples", () => {
    const empty: Health = { at: new Date(0).toISOString(), sqs: { mode: "aws", endpoint: null }, nodes: [], fleet: { flagged: {} } };
    const parsed = parsePrometheusText(formatMetrics(empty));
    expect(parsed.samples.size).toBe(0);
    expect(parsed.types.size).toBe(19);
  });

  test("rejections put down to a sender: one sample per (rejecting node, sender, reason)", () => {
    const h = healthOf({ ids: ["a", "b"], step: 1 });
    const seen = (rejected: Record<string, number>) => ({ status: null, last_seen_s_ago: null, rtt_p50_ms: null, reputation: null, flagged: false, choked: false, chokes_observer: false, received: {}, rejected });
    h.network = [
      { id: "a", fleet: true, seen_by: {}, heard_s_ago: null, received: {}, rejected: {}, rejected_total: 0, last_rejection: null },
      { id: "sam", fleet: false, seen_by: { b: seen({ invalid_field: 2 }), a: seen({ invalid_field: 1, unknown_type: 4 }) }, heard_s_ago: 1, received: {}, rejected: { invalid_field: 3, unknown_type: 4 }, rejected_total: 7, last_rejection: null },
    ];
    const parsed = parsePrometheusText(formatMetrics(h));
    const samples = [...parsed.samples].filter(([k]) => k.startsWith("p2p_sender_rejected_total"));
    expect(samples).toEqual([
      ['p2p_sender_rejected_total{node="a",reason="invalid_field",sender="sam"}', 1],
      ['p2p_sender_rejected_total{node="a",reason="unknown_type",sender="sam"}', 4],
      ['p2p_sender_rejected_total{node="b",reason="invalid_field",sender="sam"}', 2],
    ]);
  });

  test("label values from outside (a command node's id, a rejected reason) are escaped and read back unchanged", () => {
    const h = healthOf({ ids: ["a", "b"], step: 1 });
    const odd = 'we"ird\\reason\nline two';
    h.nodes[0]!.counters.rejected[odd] = 3;
    const text = formatMetrics(h);
    const parsed = parsePrometheusText(text);
    expect(parsed.samples.get(seriesKey("p2p_messages_rejected_total", { node: "a", reason: odd }))).toBe(3);
    expect(text.split("\n").every((l) => !l.includes("line two") || l.startsWith("p2p_messages_rejected_total{"))).toBe(true);
  });
});

test.each([
  ["plain", "bot-alpha", "bot-alpha"],
  ["quote", 'a"b', 'a\\"b'],
  ["backslash", "a\\b", "a\\\\b"],
  ["line feed", "a\nb", "a\\nb"],
  ["all three", '\\"\n', '\\\\\\"\\n'],
])("escapeLabelValue: %s", (_what, raw, escaped) => {
  expect(escapeLabelValue(raw)).toBe(escaped);
});

test.each([
  [0, "0"],
  [0.7, "0.7"],
  [12345, "12345"],
  [Number.NaN, "NaN"],
  [Number.POSITIVE_INFINITY, "+Inf"],
  [Number.NEGATIVE_INFINITY, "-Inf"],
])("formatValue(%p) = %s", (value, text) => {
  expect(formatValue(value)).toBe(text);
});

// The reader is what the metrics tests trust: it must refuse what a scraper refuses.
test.each([
  ["no final line feed", "# TYPE x gauge\nx 1"],
  ["sample before TYPE", "x 1\n"],
  ["unknown type", "# TYPE x meter\nx 1\n"],
  ["unquoted label", "# TYPE x gauge\nx{a=b} 1\n"],
  ["bad escape", '# TYPE x gauge\nx{a="\\t"} 1\n'],
  ["bad value", "# TYPE x gauge\nx one\n"],
  ["duplicate series", '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
  ["split family", "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"2\"} 1\n"],
  ["negative counter", "# TYPE x_total counter\nx_total -1\n"],
  ["bad name", "# TYPE 9x gauge\n9x 1\n"],
  ["two spaces", "# TYPE x gauge\nx  1\n"],
])("the strict reader rejects %s", (_what, text) => {
  expect(() => parsePrometheusText(text)).toThrow();
});
