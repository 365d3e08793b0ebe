import type { Health, HealthNetworkNode } from "./health-types.ts";

const HEADERS = ["NODE", "FLEET", "SEEN a/s/d", "HEARD", "RTT p50", "REPUTATION", "FLAGGED BY", "CHOKED BY", "CHOKES", "MSGS IN", "SENT WRONG", "LAST WRONG"];
/** Names listed in a cell at most, and characters of the last validation message: the JSON has them all. */
const CELL_NAMES_MAX = 3;
const DETAIL_CHARS_MAX = 60;

function names(ids: string[]): string {
  if (ids.length === 0) return "-";
  const shown = ids.slice(0, CELL_NAMES_MAX).join(",");
  return ids.length > CELL_NAMES_MAX ? `${shown},+${ids.length - CELL_NAMES_MAX}` : shown;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/** Reasons by count, most first: `invalid_field x3, not_json x1`. */
export function wrongSummary(rejected: Record<string, number>): string {
  const parts = Object.entries(rejected)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, n]) => `${reason} x${n}`);
  return parts.length === 0 ? "-" : parts.join(", ");
}

function row(e: HealthNetworkNode): string[] {
  const seen = Object.entries(e.seen_by);
  const count = (s: string) => seen.filter(([, o]) => o.status === s).length;
  const scores = seen.flatMap(([, o]) => (o.reputation ? [o.reputation.score] : []));
  const lo = scores.length ? Math.min(...scores) : null;
  const hi = scores.length ? Math.max(...scores) : null;
  const rtt = median(seen.flatMap(([, o]) => (o.rtt_p50_ms === null ? [] : [o.rtt_p50_ms])));
  const by = (pick: (o: (typeof seen)[number][1]) => boolean) => seen.filter(([, o]) => pick(o)).map(([id]) => id).sort();
  const heard = e.heard_s_ago ?? (seen.length ? Math.min(...seen.map(([, o]) => o.last_seen_s_ago ?? Infinity)) : Infinity);
  const detail = e.last_rejection ? e.last_rejection.detail : "-";
  return [
    e.id,
    e.fleet ? (e.state ?? "yes") : "-",
    seen.some(([, o]) => o.status !== null) ? `${count("alive")}/${count("suspect")}/${count("dead")}` : "-",
    Number.isFinite(heard) ? `${heard}s` : "-",
    rtt === null ? "-" : `${rtt}ms`,
    lo === null ? "-" : lo === hi ? lo.toFixed(2) : `${lo.toFixed(2)}-${hi!.toFixed(2)}`,
    names(by((o) => o.flagged)),
    names(by((o) => o.choked)),
    names(by((o) => o.chokes_observer)),
    String(Object.values(e.received).reduce((a, b) => a + b, 0)),
    wrongSummary(e.rejected),
    detail.length > DETAIL_CHARS_MAX ? `${detail.slice(0, DETAIL_CHARS_MAX - 1)}…` : detail,
  ];
}

/**
 * `fleet status --network`: one row per node of the class's network, fleet
 * nodes first. SEEN counts the fleet nodes that see it alive, suspect, dead;
 * REPUTATION is the lowest and highest score they give it; CHOKED BY are the
 * fleet nodes that choke it, CHOKES the ones it chokes.
 */
export function formatNetworkTable(h: Health): string {
  const network = h.network ?? [];
  const rows = [HEADERS, ...network.map(row)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  const outside = network.filter((e) => !e.fleet).length;
  const title = `network at ${h.at}: ${network.length} nodes (${network.length - outside} in the fleet, ${outside} outside)`;
  return [title, ...lines].join("\n");
}
