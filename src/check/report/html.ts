import { spaceTimeBundle } from "../../fleet/dashboard/bundle.ts";
import { parseTimestampMs } from "../../protocol/index.ts";
import type { WireRecord } from "../../runtime/wire-record.ts";
import { AREAS, AREA_TITLES, type CheckReport } from "../types.ts";
import { summaryLine } from "./terminal.ts";

/**
 * `--html FILE`: one self-contained page. The cases with their evidence, the
 * space-time diagram of the run's messages (the renderer of the dashboard,
 * bundled inline), the selected case's messages highlighted; with several
 * nodes, the matrix of nodes × cases, each cell linking to its evidence.
 */

/** Arrows drawn at most: the diagram stays quick, and these are the node's own messages. */
export const HTML_RECORDS_MAX = 5_000;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** JSON that can sit inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const MARK: Record<string, string> = { pass: "✔", fail: "×", "non-strict": "!", skip: "–", info: "i" };

/**
 * The records the diagram draws: every message to or from a checked node,
 * cut to the bound. The checker never sees a checked node's side of the
 * queue, so a message from it gets the send half from its own timestamp
 * (the node's clock), and is drawn as an arrow from its lane; a message to
 * it stays a stub, as nothing tells when the node took it.
 */
export function diagramRecords(records: readonly WireRecord[], nodes: readonly string[]): WireRecord[] {
  const set = new Set(nodes);
  const mine = records.filter((r) => set.has(r.from) || set.has(r.to)).slice(0, HTML_RECORDS_MAX);
  const sends: WireRecord[] = [];
  for (const r of mine) {
    if (r.dir !== "in" || !set.has(r.from)) continue;
    const sentMs = sentAtOf(r.body);
    if (sentMs !== null) sends.push({ ...r, dir: "out", observer: r.from, atMs: Math.min(sentMs, r.atMs) });
  }
  const seen = new Set<string>();
  return [...mine, ...sends.filter((r) => {
    // One send half per message, however often SQS delivered it.
    const key = `${r.from}\u0000${r.to}\u0000${r.msgId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  })].sort((a, b) => a.atMs - b.atMs);
}

function sentAtOf(body: string): number | null {
  const m = /"timestamp"\s*:\s*"([^"]{1,64})"/.exec(body);
  return m ? parseTimestampMs(m[1]!) : null;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
header{padding:16px 24px;background:#111;color:#fff}
header h1{margin:0;font-size:20px} header .v{font-weight:700;margin-left:12px;padding:2px 8px;border-radius:4px}
.pass{background:#15803d;color:#fff}.fail{background:#b91c1c;color:#fff}
main{display:grid;grid-template-columns:minmax(420px,1fr) minmax(480px,1.2fr);gap:16px;padding:16px 24px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px}
h2{font-size:16px;margin:8px 0}
.case{border-top:1px solid #eee;padding:6px 0;cursor:pointer}
.case.sel{background:#fef9c3}
.case .m{display:inline-block;width:1.4em;font-weight:700}
.case.v-pass .m{color:#15803d}.case.v-fail .m{color:#b91c1c}.case.v-non-strict .m{color:#b45309}.case.v-skip .m{color:#737373}.case.v-info .m{color:#1d4ed8}
.case.v-info small{color:#1d4ed8}
td.v-info{color:#1d4ed8}
.case .id{font-family:ui-monospace,monospace;color:#555;margin-right:6px}
.detail{margin:4px 0 4px 1.6em;font-size:13px;color:#333}
.detail dt{font-weight:600;float:left;width:7em}.detail dd{margin:0 0 2px 7em}
table.ev{border-collapse:collapse;font:12px ui-monospace,monospace;margin:4px 0 4px 1.6em;display:block;overflow-x:auto;max-width:calc(100% - 1.6em)}
.case.v-pass .detail,.case.v-pass table.ev{display:none}.case.v-pass.sel .detail{display:block}.case.v-pass.sel table.ev{display:block}
table.ev td{padding:1px 6px;border-bottom:1px solid #f0f0f0;white-space:nowrap;max-width:520px;overflow:hidden;text-overflow:ellipsis}
table.matrix{border-collapse:collapse;font:12px ui-monospace,monospace}
table.matrix td,table.matrix th{border:1px solid #ddd;padding:2px 5px;text-align:center}
table.matrix a{text-decoration:none;color:inherit}
#diagram{min-height:480px}
.summary{margin-top:4px}
`;

function caseHtml(r: CheckReport, nodeIndex: number): string {
  const n = r.nodes[nodeIndex]!;
  const parts: string[] = [`<h2>${esc(n.node)}: ${n.verdict.toUpperCase()}</h2><div class="summary">${esc(summaryLine(n.summary))}</div>`];
  for (const area of AREAS) {
    const cases = n.cases.filter((c) => c.area === area);
    if (cases.length === 0) continue;
    parts.push(`<h2>${esc(AREA_TITLES[area])}</h2>`);
    for (const c of cases) {
      const ev = c.evidence.length
        ? `<table class="ev">${c.evidence.map((e) => `<tr><td>${esc(e.time.slice(11, 23))}</td><td>${esc(e.type)}</td><td>${esc(e.from)} → ${esc(e.to)}</td><td title="${esc(e.body)}">${esc(e.body)}</td></tr>`).join("")}</table>`
        : "";
      parts.push(
        `<div class="case v-${c.verdict}" id="case-${nodeIndex}-${esc(c.id)}" data-node="${nodeIndex}" data-case="${esc(c.id)}"><span class="m">${MARK[c.verdict]}</span><span class="id">${esc(c.id)}</span>${esc(c.title)} <small>(${c.verdict}${c.verdict === "skip" && c.reason ? `: ${esc(c.reason)}` : c.verdict === "info" ? `, not graded: ${esc(c.observed)}` : ""})</small>` +
          `<dl class="detail"><dt>requirement</dt><dd>${esc(c.requirement)} ${c.level}: ${esc(c.requirementText)}</dd><dt>expected</dt><dd>${esc(c.expected)}</dd><dt>observed</dt><dd>${esc(c.observed)}</dd></dl>${ev}</div>`,
      );
    }
  }
  return parts.join("\n");
}

function matrixHtml(r: CheckReport): string {
  if (r.nodes.length < 2) return "";
  const ids = r.nodes[0]!.cases.map((c) => c.id);
  const head = `<tr><th>node</th>${ids.map((id) => `<th>${esc(id)}</th>`).join("")}<th>verdict</th></tr>`;
  const rows = r.nodes.map(
    (n, i) => `<tr><th>${esc(n.node)}</th>${n.cases.map((c) => `<td class="v-${c.verdict}"><a href="#case-${i}-${esc(c.id)}" title="${esc(`${c.id} ${c.verdict}: ${c.observed}`)}">${MARK[c.verdict]}</a></td>`).join("")}<td class="${n.verdict}">${n.verdict}</td></tr>`,
  );
  return `<section id="matrix"><h2>Class matrix: nodes × cases</h2><table class="matrix">${head}${rows.join("")}</table></section>`;
}

const CLIENT = `
const data = JSON.parse(document.getElementById("check-data").textContent);
const host = document.getElementById("diagram");
let view = null;
let current = null;
// A case's messages open in view: from a few rows before the first to some rows past the last.
const ROWS_BEFORE = 6, ROWS_AFTER = 400;
function show(nodeIndex, caseId, whole) {
  const n = data.report.nodes[nodeIndex];
  const c = n && n.cases.find((x) => x.id === caseId);
  current = [nodeIndex, caseId];
  document.querySelectorAll(".case.sel").forEach((e) => e.classList.remove("sel"));
  const el = document.getElementById("case-" + nodeIndex + "-" + caseId);
  if (el) el.classList.add("sel");
  const highlight = new Set(c ? c.evidence.map((e) => e.msgId).filter(Boolean) : []);
  let records = data.records;
  if (!whole && highlight.size) {
    const hits = [];
    data.records.forEach((r, i) => { if (highlight.has(r.msgId)) hits.push(i); });
    if (hits.length) records = data.records.slice(Math.max(0, hits[0] - ROWS_BEFORE), hits[hits.length - 1] + ROWS_AFTER);
  }
  if (view) view.destroy();
  view = renderSpaceTime(host, records, { lanes: data.lanes, highlight: highlight.size ? highlight : undefined, follow: false, heightPx: 560 });
  const title = document.getElementById("diagram-title");
  title.textContent = c ? "Messages around " + c.id + ", its own highlighted (" + records.length + " of " + data.records.length + ") " : "Messages (" + records.length + ")";
  if (records.length !== data.records.length) {
    const a = document.createElement("a");
    a.href = "#";
    a.id = "show-all";
    a.textContent = "show the whole run";
    a.onclick = (ev) => { ev.preventDefault(); show(current[0], current[1], true); };
    title.appendChild(a);
  }
}
document.querySelectorAll(".case").forEach((el) => el.addEventListener("click", () => show(Number(el.dataset.node), el.dataset.case, false)));
const first = data.report.nodes.flatMap((n, i) => n.cases.filter((c) => c.verdict === "fail").map((c) => [i, c.id]))[0];
show(first ? first[0] : 0, first ? first[1] : "", false);
`;

export async function formatHtml(r: CheckReport, records: readonly WireRecord[], lanes: readonly string[]): Promise<string> {
  const bundle = await spaceTimeBundle();
  if (!bundle.ok) throw new Error(`the space-time diagram could not be bundled: ${bundle.text}`);
  const drawn = diagramRecords(records, r.nodes.map((n) => n.node));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fleet check: ${esc(r.nodes.map((n) => n.node).join(", "))}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>fleet check: ${esc(r.nodes.map((n) => n.node).join(", "))}<span class="v ${r.verdict}">${r.verdict.toUpperCase()}</span></h1>
<div>${esc(summaryLine(r.summary))} · ${r.mode === "run" ? "--run" : "network"} · seed ${esc(r.seed)} · heartbeat ${r.timings.heartbeatS} s, epoch ${r.timings.epochS} s · ${esc(r.startedAt)} · ${(r.durationMs / 1000).toFixed(0)} s · ${drawn.length} messages drawn</div></header>
${matrixHtml(r)}
<main>
<section id="cases">${r.nodes.map((_, i) => caseHtml(r, i)).join("\n")}</section>
<section><h2 id="diagram-title">Messages</h2><div id="diagram"></div></section>
</main>
<script type="application/json" id="check-data">${scriptJson({ report: r, records: drawn, lanes })}</script>
<script>${bundle.text.replace(/<\/script/gi, "<\\/script")}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
