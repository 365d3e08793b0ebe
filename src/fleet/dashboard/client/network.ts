/**
 * The Network panel: one row per node of the class's network, fleet nodes
 * first, with what it sent wrong at a glance (reasons and counts, in red);
 * a click on a row shows its last offending body and why it was refused.
 * Rows are kept by id so a tick updates them in place.
 */
import type { View, ViewNetworkNode } from "../view-types.ts";
import { el } from "./dom.ts";

export interface NetworkPanel {
  update(view: View): void;
}

export function createNetworkPanel(body: HTMLElement, detail: HTMLElement): NetworkPanel {
  let selected: string | null = null;
  let rows = new Map<string, ViewNetworkNode>();
  const drawn = new WeakMap<HTMLElement, string>();

  const showDetail = () => {
    const row = selected === null ? undefined : rows.get(selected);
    detail.dataset.node = row?.id ?? "";
    if (!row) {
      detail.replaceChildren(el("p", { class: "muted" }, "click a row for the last message it sent wrong"));
      return;
    }
    const last = row.last_rejection;
    if (!last) {
      detail.replaceChildren(el("p", {}, el("strong", {}, row.id), " has sent nothing wrong that the fleet saw."));
      return;
    }
    detail.replaceChildren(
      el("p", {}, el("strong", {}, row.id), ` at ${last.observer}, ${new Date(last.at).toLocaleTimeString([], { hour12: false })}: `, el("span", { class: "reason" }, last.reason)),
      el("p", { class: "detail", "data-field": "detail" }, last.detail),
      el("pre", { class: "body", "data-field": "body" }, last.body),
    );
  };

  body.addEventListener("click", (ev) => {
    const tr = (ev.target as HTMLElement).closest<HTMLElement>("tr[data-node]");
    if (!tr) return;
    selected = tr.dataset.node ?? null;
    for (const r of Array.from(body.children) as HTMLElement[]) r.classList.toggle("selected", r.dataset.node === selected);
    showDetail();
  });
  showDetail();

  return {
    update(view) {
      rows = new Map(view.network.map((r) => [r.id, r]));
      const existing = new Map<string, HTMLElement>();
      for (const child of Array.from(body.children) as HTMLElement[]) if (child.dataset.node) existing.set(child.dataset.node, child);
      view.network.forEach((row, i) => {
        const tr = existing.get(row.id) ?? el("tr", { "data-node": row.id });
        existing.delete(row.id);
        // a row that did not change is left alone: 500 rows rebuilt every second would be most of a frame
        const sig = JSON.stringify(row);
        if (drawn.get(tr) !== sig) {
          fillRow(tr, row, view.flag_threshold);
          drawn.set(tr, sig);
        }
        tr.classList.toggle("selected", row.id === selected);
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
      });
      for (const gone of existing.values()) gone.remove();
      showDetail();
    },
  };
}

function fillRow(tr: HTMLElement, r: ViewNetworkNode, threshold: number): void {
  const wrong = Object.entries(r.rejected).filter(([, n]) => n > 0).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const worst = r.seen[2] > 0 ? "dead" : r.seen[1] > 0 ? "suspect" : r.seen[0] > 0 ? "alive" : "unknown";
  tr.className = `${r.fleet ? "fleet" : "outside"}${wrong.length > 0 ? " wrong" : ""}`;
  tr.dataset.status = worst;
  tr.dataset.rejected = String(wrong.reduce((a, [, n]) => a + n, 0));
  const rep = r.reputation;
  const names = (ids: string[]) => (ids.length === 0 ? "–" : ids.length <= 3 ? ids.join(", ") : `${ids.slice(0, 3).join(", ")} +${ids.length - 3}`);
  const seen = el("td", { "data-field": "seen", title: `${r.seen[0]} alive, ${r.seen[1]} suspect, ${r.seen[2]} dead` });
  (["alive", "suspect", "dead"] as const).forEach((name, i) => {
    if (i > 0) seen.append(" / ");
    seen.append(el("span", { class: `count ${name}` }, String(r.seen[i])));
  });
  tr.replaceChildren(
    el("td", { class: "id", title: r.id }, r.id),
    el("td", { "data-field": "fleet" }, r.fleet ? (r.state ?? "fleet") : "outside"),
    seen,
    el("td", { class: "num", "data-field": "heard" }, r.heard_s_ago === null ? "–" : `${r.heard_s_ago}s`),
    el("td", { class: "num", "data-field": "rtt" }, r.rtt_p50_ms === null ? "–" : `${r.rtt_p50_ms} ms`),
    el(
      "td",
      { class: rep && rep[0] < threshold ? "num low" : "num", "data-field": "reputation" },
      rep === null ? "–" : rep[0] === rep[1] ? rep[0].toFixed(2) : `${rep[0].toFixed(2)}–${rep[1].toFixed(2)}`,
    ),
    el("td", { class: r.flagged_by.length ? "flagged" : "", "data-field": "flagged-by", title: r.flagged_by.join(", ") }, names(r.flagged_by)),
    el("td", { "data-field": "choked-by", title: r.choked_by.join(", ") }, names(r.choked_by)),
    el("td", { "data-field": "chokes", title: r.chokes.join(", ") }, names(r.chokes)),
    el("td", { class: "num", "data-field": "received" }, String(r.received)),
    el(
      "td",
      { class: "wrong-cell", "data-field": "wrong", title: r.last_rejection?.detail ?? "" },
      wrong.length === 0 ? "–" : wrong.map(([reason, n]) => `${reason} ×${n}`).join(", "),
    ),
  );
}
