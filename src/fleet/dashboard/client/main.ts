/** The dashboard page: one EventSource, each view drawn into cards, graph, chart and tables. */
import { MEAN_OBSERVER, type View } from "../view-types.ts";
import { flaggers, renderCards } from "./cards.ts";
import { createChart } from "./chart.ts";
import { byId, el } from "./dom.ts";
import { createGraph } from "./graph.ts";
import { createNetworkPanel } from "./network.ts";
import { renderSpaceTime, type SpaceTime } from "./spacetime.ts";
import { renderAudits, renderEvents } from "./tables.ts";
import type { TimelineFrame } from "../timeline.ts";
import type { WireRecord } from "../../../runtime/wire-record.ts";

const cards = byId("cards");
const graph = createGraph(byId("graph"));
const chart = createChart(byId("chart"));
const select = byId<HTMLSelectElement>("observer");
const link = byId("link");
const network = createNetworkPanel(byId("network"), byId("network-detail"));

select.addEventListener("change", () => void chart.setObserver(select.value));
void chart.setObserver(MEAN_OBSERVER);

function renderObservers(view: View): void {
  const wanted = [MEAN_OBSERVER, ...view.nodes.map((n) => n.id)];
  const have = Array.from(select.options).map((o) => o.value);
  if (wanted.join("\n") === have.join("\n")) return;
  select.replaceChildren(...wanted.map((id) => el("option", { value: id }, id === MEAN_OBSERVER ? "every node (mean)" : id)));
  select.value = wanted.includes(chart.observer) ? chart.observer : MEAN_OBSERVER;
}

function renderHeader(view: View): void {
  const running = view.nodes.filter((n) => n.state === "running").length;
  const sqs = view.sqs.mode === "local" ? `embedded SQS ${view.sqs.endpoint ?? ""}` : "Amazon SQS";
  byId("summary").textContent = `${view.nodes.length} nodes, ${running} running · ${sqs}`;
  const flagged = Object.entries(view.flagged).filter(([, by]) => by.length > 0);
  const line = byId("flagged-line");
  line.textContent = flagged.map(([id, by]) => `${id} flagged by ${flaggers(by)}`).join(" · ");
  line.title = flagged.map(([id, by]) => `${id} flagged by ${by.join(", ")}`).join("\n");
}

function render(view: View): void {
  const t0 = performance.now();
  renderHeader(view);
  renderCards(cards, view);
  graph.update(view);
  renderObservers(view);
  chart.update(view);
  renderAudits(byId("audits"), view);
  renderEvents(byId("events"), view);
  network.update(view);
  drawTimelineWith(view);
  document.body.dataset.at = view.at;
  // how long one view takes to draw, for anyone checking that 50 nodes stay smooth
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
}

const source = new EventSource("/events");
source.addEventListener("open", () => {
  link.dataset.live = "true";
  link.textContent = "live";
});
source.addEventListener("error", () => {
  link.dataset.live = "false";
  link.textContent = "reconnecting…";
});
source.addEventListener("view", (ev) => {
  try {
    render(JSON.parse((ev as MessageEvent<string>).data) as View);
  } catch (err) {
    console.error("dashboard: could not draw a view", err);
  }
});

// The message timeline: the whole ring when the stream opens, then what is new; kept as long as the fleet keeps it.
// The diagram is made at the first view, so that the fleet's nodes take the first lanes in fleet order.
let records: WireRecord[] = [];
let diagram: SpaceTime | null = null;
function drawTimelineWith(view: View): void {
  diagram ??= renderSpaceTime(byId("timeline"), records, { heightPx: 520, lanes: view.nodes.map((n) => n.id) });
}
const timeline = new EventSource("/timeline");
timeline.addEventListener("timeline", (ev) => {
  try {
    const frame = JSON.parse((ev as MessageEvent<string>).data) as TimelineFrame;
    records = frame.reset ? frame.records : records.concat(frame.records);
    if (records.length > frame.recordsMax) records = records.slice(records.length - frame.recordsMax);
    diagram?.update(records);
  } catch (err) {
    console.error("dashboard: could not draw the timeline", err);
  }
});
