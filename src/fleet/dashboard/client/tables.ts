/** The latest audits and the recent state changes, newest first (the server orders and bounds them). */
import type { View } from "../view-types.ts";
import { clock, el } from "./dom.ts";

export function renderAudits(body: HTMLElement, view: View): void {
  body.replaceChildren(
    ...view.audits.map((a) =>
      el(
        "tr",
        {},
        el("td", {}, el("time", { datetime: a.at }, clock(a.at))),
        el("td", {}, a.node),
        el("td", {}, a.content_id),
        el("td", { class: "num" }, String(a.epoch)),
        el("td", { class: "num" }, String(a.agreed_count)),
        el("td", { class: a.confidence < view.flag_threshold ? "num low" : "num" }, a.confidence.toFixed(2)),
        el("td", {}, a.voters.join(", ")),
      ),
    ),
  );
}

export function renderEvents(list: HTMLElement, view: View): void {
  list.replaceChildren(
    ...view.events.map((e) => el("li", {}, el("time", { datetime: e.at }, clock(e.at)), el("span", { class: "node" }, e.node), e.text)),
  );
}
