import type { Health, HealthNode } from "./health-types.ts";

/** Names listed in a cell at most; the JSON has them all. */
const CELL_NAMES_MAX = 3;

const HEADERS = ["NODE", "PERSONA", "STATE", "UPTIME", "RESTARTS", "PEERS a/s/d", "MSGS in/out", "REJECTED", "RTT p50", "FLAGS", "CHOKES"];

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

export function formatUptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function names(ids: string[]): string {
  if (ids.length === 0) return "-";
  const shown = ids.slice(0, CELL_NAMES_MAX).join(",");
  return ids.length > CELL_NAMES_MAX ? `${shown},+${ids.length - CELL_NAMES_MAX}` : shown;
}

function row(n: HealthNode): string[] {
  const count = (s: string) => n.peers.filter((p) => p.status === s).length;
  const peersKnown = n.kind === "builtin";
  return [
    n.id,
    n.persona,
    n.state,
    // A stopped node (the final table) shows how long its last run lasted; one waiting to restart, or failed, is down.
    n.state === "running" || n.state === "degraded" || n.state === "starting" || n.state === "stopped" ? formatUptime(n.uptime_s) : "-",
    String(n.restarts),
    peersKnown ? `${count("alive")}/${count("suspect")}/${count("dead")}` : "?",
    peersKnown ? `${sum(n.counters.in)}/${sum(n.counters.out)}` : "?",
    peersKnown ? String(sum(n.counters.rejected)) : "?",
    // A command node's round trips, flags and chokes are in its own code: "-" would read as "none".
    !peersKnown ? "?" : n.rtt_p50_ms === null ? "-" : `${n.rtt_p50_ms}ms`,
    peersKnown ? names(n.flags) : "?",
    peersKnown ? names(n.chokes) : "?",
  ];
}

/** The fleet line: who is flagged, by how many of the others whose view is current (or final, at exit). */
export function fleetLine(h: Health): string {
  const reporting = h.nodes.filter((n) => n.kind === "builtin" && (n.state === "running" || n.state === "degraded" || n.state === "stopped"));
  const entries = Object.entries(h.fleet.flagged).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return "flagged: nobody";
  const parts = entries.map(([id, by]) => {
    const others = reporting.filter((n) => n.id !== id).length;
    return `${id} by ${by.length} of ${others} (${by.join(", ")})`;
  });
  return `flagged: ${parts.join("; ")}`;
}

/** The health table as the terminal shows it, every `health.every` seconds and at exit. */
export function formatHealthTable(h: Health): string {
  const rows = [HEADERS, ...h.nodes.map(row)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  const title = `fleet health at ${h.at}  (sqs ${h.sqs.mode}${h.sqs.endpoint ? ` ${h.sqs.endpoint}` : ""})`;
  return [title, ...lines, fleetLine(h)].join("\n");
}
