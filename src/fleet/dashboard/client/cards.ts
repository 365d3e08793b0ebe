/** One card per node, kept by id so that a tick updates cards in place instead of rebuilding the grid. */
import type { View, ViewNode } from "../view-types.ts";
import { duration, el } from "./dom.ts";

export function renderCards(root: HTMLElement, view: View): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(root.children)) {
    if (child instanceof HTMLElement && child.dataset.node) existing.set(child.dataset.node, child);
  }
  view.nodes.forEach((node, i) => {
    const card = existing.get(node.id) ?? el("article", { class: "card", "data-node": node.id });
    existing.delete(node.id);
    fillCard(card, node, view.flagged[node.id] ?? []);
    if (root.children[i] !== card) root.insertBefore(card, root.children[i] ?? null);
  });
  for (const gone of existing.values()) gone.remove();
}

function fillCard(card: HTMLElement, node: ViewNode, flaggedBy: string[]): void {
  card.className = `card state-${node.state}`;
  card.dataset.flagged = String(flaggedBy.length > 0);
  card.dataset.state = node.state;
  const counts = [0, 0, 0];
  for (const p of node.peers) counts[p[1]]! += 1;
  // A command node's traffic and peers are its own code's: 0 would read as a node that does nothing.
  const known = node.kind !== "command";
  const rows: Array<[string, string]> = [
    ["state", node.state],
    ["uptime", duration(node.uptime_s)],
    ["in", known ? `${rate(node.in_per_s)}/s` : "?"],
    ["out", known ? `${rate(node.out_per_s)}/s` : "?"],
    ["restarts", String(node.restarts)],
    ["rejected", known ? String(node.rejected) : "?"],
    ["rtt p50", !known ? "?" : node.rtt_p50_ms === null ? "–" : `${Math.round(node.rtt_p50_ms)} ms`],
  ];
  const dl = el("dl");
  for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", { "data-field": k, title: v }, v));
  dl.append(el("dt", {}, "peers"), known ? peerCounts(counts) : el("dd", { "data-field": "peers", title: "only its own code knows" }, "?"));
  const header = el("header", {}, el("h3", { title: node.id }, node.id), el("span", { class: "persona" }, node.kind === "command" ? "command" : node.persona));
  const parts: Node[] = [header];
  if (flaggedBy.length > 0) parts.push(el("span", { class: "flag", title: `flagged by ${flaggedBy.join(", ")}` }, `flagged by ${flaggers(flaggedBy)}`));
  parts.push(dl);
  card.replaceChildren(...parts);
}

/** Names when they fit on a card, else a count: with 50 nodes the list would bury the card. */
export function flaggers(ids: string[]): string {
  return ids.length <= FLAGGERS_NAMED_MAX ? ids.join(", ") : `${ids.length} nodes`;
}
const FLAGGERS_NAMED_MAX = 3;

function rate(perS: number): string {
  if (perS >= 1000) return `${(perS / 1000).toFixed(1)}k`;
  return perS >= 100 ? perS.toFixed(0) : perS.toFixed(1);
}

/** Alive, suspect and dead counts in their colors; the zero ones left out so that 50 nodes fit a narrow card. */
function peerCounts(counts: number[]): HTMLElement {
  const names = ["alive", "suspect", "dead"] as const;
  const dd = el("dd", { "data-field": "peers", title: names.map((n, i) => `${counts[i]} ${n}`).join(", ") });
  names.forEach((name, i) => {
    if (i > 0 && counts[i] === 0) return;
    if (i > 0) dd.append(" / ");
    dd.append(el("span", { class: `count ${name}` }, String(counts[i])));
  });
  return dd;
}
