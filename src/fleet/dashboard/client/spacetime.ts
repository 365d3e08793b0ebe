/**
 * The space-time diagram of a message timeline, the way Maelstrom and ShiViz
 * draw one: a lane per node across the top, time flowing down, an arrow per
 * message from the sender's lane where it was sent to the receiver's lane
 * where it arrived. An `out` record and the `in` records of the same
 * (from, msgId, to) make one arrow; a record without its other half (a
 * message to or from a node outside the recording, or one that was lost) is a
 * dashed stub pointing at the other lane.
 *
 * Rows are events in time order, one per record (as ShiViz does), so a
 * minute of silence takes no screen; the left gutter gives the clock. It
 * draws on one canvas the height of the viewport and only the rows in view,
 * so 5,000 records scroll as fast as 50. It needs nothing from the page it
 * sits in (it brings its own styles): the dashboard and the checker's
 * standalone report both use it.
 */
import type { WireRecord } from "../../../runtime/wire-record.ts";

export interface SpaceTimeOptions {
  /** Lane order; lanes not named here follow in order of first appearance. Default: by first appearance. */
  lanes?: readonly string[];
  /** msgIds drawn emphasised (a failing case's messages); the others are dimmed. */
  highlight?: ReadonlySet<string>;
  /** A click on an arrow; default shows its body under the diagram. */
  onSelect?: (r: WireRecord) => void;
  /** Height of the scrolling area, CSS pixels; default 480. */
  heightPx?: number;
  /** Keep the newest rows in view as records arrive (unless the reader scrolled back); default true. A report sets false to open at the start. */
  follow?: boolean;
}

export interface SpaceTime {
  update(records: readonly WireRecord[]): void;
  destroy(): void;
}

/** Colors of the protocol's types; any other type (or "?") gets one from its name. */
const TYPE_COLORS: Record<string, string> = {
  HELLO: "#2563eb",
  PEER_LIST: "#0891b2",
  PING: "#16a34a",
  PONG: "#65a30d",
  VIEW_EVENT: "#9333ea",
  AUDIT_RESULT: "#db2777",
  CHOKE: "#dc2626",
  UNCHOKE: "#ea580c",
  "?": "#525252",
};

const ROW_PX = 14;
const HEAD_PX = 28;
const GUTTER_PX = 92;
const LANE_MIN_PX = 96;
/** A click this close to an arrow (CSS pixels) selects it. */
const HIT_PX = 6;
/** A stub runs this share of the way toward the lane it would reach. */
const STUB_SHARE = 0.4;
const PAD_BOTTOM_PX = 24;

/** One arrow (paired) or stub, in row units. */
interface Arrow {
  from: string;
  to: string;
  type: string;
  /** The record a click shows: the `in` when there is one (it is what the receiver got), else the `out`. */
  record: WireRecord;
  out: WireRecord | null;
  in: WireRecord | null;
  /** Rows of the send and receive events; a stub has only one. */
  sendRow: number;
  recvRow: number;
  highlighted: boolean;
  /**
   * A stub whose missing half belongs to a node that records nothing (a
   * student's node outside the fleet): drawn all the way to its lane. A stub
   * between two recording nodes (a message lost, or still on its way) stops
   * short, with an open end.
   */
  outside: boolean;
}

interface Layout {
  lanes: string[];
  laneX: Map<string, number>;
  arrows: Arrow[];
  /** atMs of each row, for the clock in the gutter. */
  rowAtMs: number[];
  widthPx: number;
}

export function renderSpaceTime(host: HTMLElement, records: readonly WireRecord[], opts: SpaceTimeOptions = {}): SpaceTime {
  injectStyles(host.ownerDocument);
  const doc = host.ownerDocument;
  const mk = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] => {
    const n = doc.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  };

  const root = mk("div", "st-root");
  const bar = mk("div", "st-bar");
  const pause = mk("button", "st-pause", "pause");
  pause.type = "button";
  const count = mk("span", "st-count");
  const nodeLabel = mk("label", "st-node-label", "node ");
  const nodeSelect = mk("select", "st-node");
  nodeLabel.append(nodeSelect);
  const types = mk("span", "st-types");
  bar.append(pause, nodeLabel, types, count);
  const scroller = mk("div", "st-scroll");
  scroller.style.height = `${opts.heightPx ?? 480}px`;
  const canvas = mk("canvas", "st-canvas");
  const spacer = mk("div", "st-spacer");
  scroller.append(canvas, spacer);
  const detail = mk("div", "st-detail");
  const detailHead = mk("div", "st-detail-head", "click an arrow for its message");
  const detailBody = mk("pre", "st-detail-body");
  detail.append(detailHead, detailBody);
  root.append(bar, scroller, detail);
  host.replaceChildren(root);

  let current: readonly WireRecord[] = records;
  let paused = false;
  let pending: readonly WireRecord[] | null = null;
  let focus = ""; // "" = every node
  const hiddenTypes = new Set<string>();
  let selected: Arrow | null = null;
  let layout: Layout = emptyLayout();
  let frame = 0;
  let destroyed = false;

  const select = (a: Arrow) => {
    selected = a;
    if (opts.onSelect) opts.onSelect(a.record);
    else showBody(a);
    host.dataset.selected = a.record.msgId;
    draw();
  };

  const showBody = (a: Arrow) => {
    const r = a.record;
    const parts = [`${r.type}  ${a.from} → ${a.to}`, r.msgId ? `msg_id ${r.msgId}` : "no msg_id", `${r.size} B`];
    if (a.out) parts.push(`sent ${clockOf(a.out.atMs)}`);
    if (a.in) parts.push(`received ${clockOf(a.in.atMs)}`);
    if (!a.out || !a.in) parts.push(a.outside ? `${a.out ? a.to : a.from} records nothing` : a.out ? "no receipt recorded" : "no send recorded");
    detailHead.textContent = parts.join(" · ");
    detailBody.textContent = pretty(r.body);
  };

  const relayout = () => {
    const t0 = performance.now();
    layout = buildLayout(current, {
      lanes: opts.lanes ?? [],
      highlight: opts.highlight,
      focus,
      hiddenTypes,
      viewWidthPx: scroller.clientWidth || 800,
    });
    if (selected) selected = layout.arrows.find((a) => sameArrow(a, selected!)) ?? null;
    renderControls();
    const viewH = scroller.clientHeight || (opts.heightPx ?? 480);
    const contentH = HEAD_PX + layout.rowAtMs.length * ROW_PX + PAD_BOTTOM_PX;
    const atBottom = scroller.scrollTop + viewH >= spacer.offsetHeight + viewH - ROW_PX * 3;
    spacer.style.height = `${Math.max(0, contentH - viewH)}px`;
    spacer.style.width = `${layout.widthPx}px`;
    // a live timeline follows its newest rows unless the reader has scrolled back
    if (atBottom && !paused && opts.follow !== false) scroller.scrollTop = scroller.scrollHeight;
    drawNow();
    host.dataset.renderMs = (performance.now() - t0).toFixed(1);
  };

  const renderControls = () => {
    const all = lanesOf(current, opts.lanes ?? []);
    const wanted = ["", ...all];
    const have = Array.from(nodeSelect.options).map((o) => o.value);
    if (wanted.join("\n") !== have.join("\n")) {
      nodeSelect.replaceChildren(
        ...wanted.map((id) => {
          const o = mk("option", "", id === "" ? "every node" : id);
          o.value = id;
          return o;
        }),
      );
      nodeSelect.value = wanted.includes(focus) ? focus : "";
    }
    const seenTypes = [...new Set(current.map((r) => r.type))].sort(byTypeOrder);
    const haveTypes = Array.from(types.children).map((c) => (c as HTMLElement).dataset.type ?? "");
    if (seenTypes.join("\n") !== haveTypes.join("\n")) {
      types.replaceChildren(
        ...seenTypes.map((t) => {
          const chip = mk("button", "st-type", t);
          chip.type = "button";
          chip.dataset.type = t;
          chip.style.setProperty("--st-color", colorOf(t));
          return chip;
        }),
      );
    }
    for (const chip of Array.from(types.children) as HTMLElement[]) {
      chip.dataset.off = String(hiddenTypes.has(chip.dataset.type ?? ""));
    }
    const paired = layout.arrows.filter((a) => a.out && a.in).length;
    count.textContent = `${current.length} records · ${paired} arrows · ${layout.arrows.length - paired} stubs${pending ? ` · ${pending.length} waiting` : ""}`;
    host.dataset.records = String(current.length);
    host.dataset.arrows = String(paired);
    host.dataset.stubs = String(layout.arrows.length - paired);
    host.dataset.lanes = layout.lanes.join(",");
  };

  const draw = () => {
    if (frame || destroyed) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      drawNow();
    });
  };

  const drawNow = () => {
    if (destroyed) return;
    const dpr = globalThis.devicePixelRatio || 1;
    // The canvas is the visible part only, sticky on both axes: a canvas as wide as hundreds of lanes passes
    // the browser's largest (32,767 px in Chromium) and draws nothing at all.
    const viewW = scroller.clientWidth || 800;
    const viewH = scroller.clientHeight || (opts.heightPx ?? 480);
    if (canvas.width !== Math.round(viewW * dpr) || canvas.height !== Math.round(viewH * dpr)) {
      canvas.width = Math.round(viewW * dpr);
      canvas.height = Math.round(viewH * dpr);
      canvas.style.width = `${viewW}px`;
      canvas.style.height = `${viewH}px`;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const t0 = performance.now();
    paint(ctx, layout, { top: scroller.scrollTop, left: scroller.scrollLeft, viewW, viewH, selected, dimOthers: (opts.highlight?.size ?? 0) > 0 });
    // how long one frame takes, for anyone checking that a long timeline stays smooth
    host.dataset.paintMs = (performance.now() - t0).toFixed(2);
  };

  const arrowAt = (xPx: number, yPx: number): Arrow | null => {
    // canvas coordinates -> content coordinates: the canvas is sticky at the top left of the scroller
    const yContent = yPx + scroller.scrollTop - HEAD_PX;
    xPx += scroller.scrollLeft;
    let best: Arrow | null = null;
    let bestD = HIT_PX;
    for (const a of layout.arrows) {
      const seg = segmentOf(a, layout);
      if (!seg) continue;
      const [x1, y1, x2, y2] = seg;
      if (yContent < Math.min(y1, y2) - HIT_PX || yContent > Math.max(y1, y2) + HIT_PX) continue;
      const d = distToSegment(xPx, yContent, x1, y1, x2, y2);
      if (d <= bestD) {
        bestD = d;
        best = a;
      }
    }
    return best;
  };

  const onScroll = () => draw();
  const onClick = (ev: MouseEvent) => {
    const rect = canvas.getBoundingClientRect();
    const hit = arrowAt(ev.clientX - rect.left, ev.clientY - rect.top);
    if (hit) select(hit);
  };
  const onMove = (ev: MouseEvent) => {
    const rect = canvas.getBoundingClientRect();
    canvas.style.cursor = arrowAt(ev.clientX - rect.left, ev.clientY - rect.top) ? "pointer" : "default";
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  canvas.addEventListener("click", onClick);
  canvas.addEventListener("mousemove", onMove);
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "resume" : "pause";
    root.dataset.paused = String(paused);
    if (!paused && pending) {
      current = pending;
      pending = null;
      relayout();
    } else renderControls();
  });
  nodeSelect.addEventListener("change", () => {
    focus = nodeSelect.value;
    relayout();
  });
  types.addEventListener("click", (ev) => {
    const t = (ev.target as HTMLElement).closest<HTMLElement>(".st-type")?.dataset.type;
    if (t === undefined) return;
    if (hiddenTypes.has(t)) hiddenTypes.delete(t);
    else hiddenTypes.add(t);
    relayout();
  });
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(() => relayout()) : null;
  resize?.observe(scroller);

  root.dataset.paused = "false";
  relayout();

  return {
    update(next) {
      if (destroyed) return;
      if (paused) {
        pending = next;
        renderControls();
        return;
      }
      current = next;
      relayout();
    },
    destroy() {
      destroyed = true;
      if (frame) cancelAnimationFrame(frame);
      resize?.disconnect();
      host.replaceChildren();
    },
  };
}

function emptyLayout(): Layout {
  return { lanes: [], laneX: new Map(), arrows: [], rowAtMs: [], widthPx: 0 };
}

/** Every node the records name, `opts` order first, then by first appearance; "?" (a body naming no sender) last. */
function lanesOf(records: readonly WireRecord[], order: readonly string[]): string[] {
  const seen = new Set<string>(order);
  let unknown = false;
  for (const r of records) {
    for (const id of [r.from, r.to]) {
      if (id === "?") unknown = true;
      else seen.add(id);
    }
  }
  const lanes = [...seen];
  if (unknown) lanes.push("?");
  return lanes;
}

interface LayoutInput {
  lanes: readonly string[];
  highlight: ReadonlySet<string> | undefined;
  focus: string;
  hiddenTypes: ReadonlySet<string>;
  viewWidthPx: number;
}

function buildLayout(records: readonly WireRecord[], input: LayoutInput): Layout {
  const shown = records.filter(
    (r) => !input.hiddenTypes.has(r.type) && (input.focus === "" || r.from === input.focus || r.to === input.focus),
  );
  // Time order; records of the same millisecond keep the order they were given in, which is the order
  // one observer saw them (a PING received, then the PONG it caused), so give a timeline oldest first.
  const order = shown.map((_r, i) => i);
  order.sort((a, b) => shown[a]!.atMs - shown[b]!.atMs || a - b);
  const rowOf = new Map<WireRecord, number>();
  const rowAtMs: number[] = [];
  for (const i of order) {
    rowOf.set(shown[i]!, rowAtMs.length);
    rowAtMs.push(shown[i]!.atMs);
  }

  const recording = new Set(records.map((r) => r.observer));
  const outs = new Map<string, WireRecord>();
  for (const r of shown) if (r.dir === "out" && r.msgId !== "") outs.set(keyOf(r), r);
  const paired = new Set<WireRecord>();
  const arrows: Arrow[] = [];
  const hl = input.highlight;
  for (const r of shown) {
    if (r.dir !== "in") continue;
    const out = r.msgId !== "" ? outs.get(keyOf(r)) : undefined;
    if (out) paired.add(out);
    arrows.push({
      from: r.from,
      to: r.to,
      type: r.type,
      record: r,
      out: out ?? null,
      in: r,
      sendRow: out ? rowOf.get(out)! : -1,
      recvRow: rowOf.get(r)!,
      highlighted: hl?.has(r.msgId) ?? false,
      outside: !out && !recording.has(r.from),
    });
  }
  for (const r of shown) {
    if (r.dir !== "out" || paired.has(r)) continue;
    arrows.push({
      from: r.from,
      to: r.to,
      type: r.type,
      record: r,
      out: r,
      in: null,
      sendRow: rowOf.get(r)!,
      recvRow: -1,
      highlighted: hl?.has(r.msgId) ?? false,
      outside: !recording.has(r.to),
    });
  }
  // drawn top-down, highlighted last so that they sit above the rest
  arrows.sort((a, b) => Number(a.highlighted) - Number(b.highlighted) || firstRow(a) - firstRow(b));

  // a focus on one node keeps the lanes of its correspondents, in the order they have unfocused
  const involved = new Set(shown.flatMap((r) => [r.from, r.to]));
  const lanes = lanesOf(records, input.lanes).filter((l) => input.focus === "" || involved.has(l));
  const laneW = Math.max(LANE_MIN_PX, (input.viewWidthPx - GUTTER_PX) / Math.max(1, lanes.length));
  const laneX = new Map(lanes.map((id, i) => [id, GUTTER_PX + laneW * (i + 0.5)]));
  return { lanes, laneX, arrows, rowAtMs, widthPx: Math.ceil(GUTTER_PX + laneW * lanes.length) };
}

function keyOf(r: WireRecord): string {
  return `${r.from}\u0000${r.msgId}\u0000${r.to}`;
}

function firstRow(a: Arrow): number {
  return a.sendRow >= 0 ? a.sendRow : a.recvRow;
}

function sameArrow(a: Arrow, b: Arrow): boolean {
  return a.out === b.out && a.in === b.in;
}

const rowY = (row: number) => row * ROW_PX + ROW_PX / 2;

/** The arrow's line in content coordinates (y from the top of the first row), or null when a lane is not drawn. */
function segmentOf(a: Arrow, layout: Layout): [number, number, number, number] | null {
  const xf = layout.laneX.get(a.from);
  const xt = layout.laneX.get(a.to);
  if (xf === undefined || xt === undefined) return null;
  const selfLoop = a.from === a.to;
  if (a.sendRow >= 0 && a.recvRow >= 0) return [xf, rowY(a.sendRow), selfLoop ? xf + 24 : xt, rowY(a.recvRow)];
  // stubs: a share of the way toward the missing end, sloping one row
  const toward = selfLoop ? 40 : (xt - xf) * (a.outside ? 1 : STUB_SHARE);
  if (a.sendRow >= 0) return [xf, rowY(a.sendRow), xf + toward, rowY(a.sendRow) + ROW_PX];
  return [xt - toward, rowY(a.recvRow) - ROW_PX, xt, rowY(a.recvRow)];
}

interface PaintView {
  top: number;
  /** Content x at the canvas's left edge. */
  left: number;
  viewW: number;
  viewH: number;
  selected: Arrow | null;
  dimOthers: boolean;
}

function paint(ctx: CanvasRenderingContext2D, layout: Layout, v: PaintView): void {
  ctx.clearRect(0, 0, v.viewW, v.viewH);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, v.viewW, v.viewH);
  // From here on, content coordinates: what lies left of the view is drawn off the canvas.
  ctx.save();
  ctx.translate(-v.left, 0);
  const firstVisible = Math.max(0, Math.floor((v.top - ROW_PX) / ROW_PX));
  const lastVisible = Math.min(layout.rowAtMs.length - 1, Math.ceil((v.top + v.viewH) / ROW_PX));

  // lanes
  ctx.strokeStyle = "#d4d4d8";
  ctx.lineWidth = 1;
  for (const x of layout.laneX.values()) {
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, HEAD_PX);
    ctx.lineTo(Math.round(x) + 0.5, v.viewH);
    ctx.stroke();
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(v.left, HEAD_PX, v.viewW, v.viewH - HEAD_PX);
  ctx.clip();
  ctx.translate(0, HEAD_PX - v.top);

  // clock in the gutter: the first visible row, then whenever the second changes, at most one label per 14 px
  ctx.fillStyle = "#6b7280";
  ctx.font = "10px ui-monospace, SFMono-Regular, Menlo, monospace";
  ctx.textBaseline = "middle";
  let lastLabelY = -Infinity;
  let lastSecond = Number.NaN;
  for (let row = firstVisible; row <= lastVisible; row += 1) {
    const t = layout.rowAtMs[row]!;
    const second = Math.floor(t / 1000);
    const y = rowY(row);
    if ((second !== lastSecond || y - lastLabelY > 120) && y - lastLabelY >= 14) {
      ctx.fillText(clockOf(t), 4, y);
      lastLabelY = y;
    }
    lastSecond = second;
  }

  const yMin = v.top - ROW_PX * 2;
  const yMax = v.top + v.viewH;
  for (const a of layout.arrows) {
    const seg = segmentOf(a, layout);
    if (!seg) continue;
    const [x1, y1, x2, y2] = seg;
    if (Math.max(y1, y2) < yMin || Math.min(y1, y2) > yMax) continue;
    const stub = !(a.out && a.in);
    const isSel = v.selected !== null && sameArrow(a, v.selected);
    const color = colorOf(a.type);
    ctx.globalAlpha = v.dimOthers && !a.highlighted && !isSel ? 0.25 : 1;
    if (a.highlighted || isSel) {
      ctx.strokeStyle = isSel ? "#111827" : "#facc15";
      ctx.lineWidth = 6;
      ctx.setLineDash([]);
      line(ctx, x1, y1, x2, y2);
    }
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = a.highlighted || isSel ? 2.5 : 1.4;
    ctx.setLineDash(stub ? [4, 3] : []);
    line(ctx, x1, y1, x2, y2);
    ctx.setLineDash([]);
    if (stub && a.out && !a.outside) {
      // a send with no receipt where one would have been recorded: an open end
      ctx.beginPath();
      ctx.arc(x2, y2, 2.5, 0, Math.PI * 2);
      ctx.stroke();
    } else head(ctx, x1, y1, x2, y2);
    // the event dots on the lanes
    if (a.out) dot(ctx, x1, y1);
    if (a.in) dot(ctx, x2, y2);
  }
  ctx.globalAlpha = 1;
  ctx.restore();
  if (layout.rowAtMs.length === 0) {
    ctx.fillStyle = "#6b7280";
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("no messages recorded yet", v.left + v.viewW / 2, HEAD_PX + 40);
    ctx.textAlign = "start";
  }

  // lane names on top, over a band that hides what scrolls under it
  ctx.fillStyle = "#f8fafc";
  ctx.fillRect(v.left, 0, v.viewW, HEAD_PX);
  ctx.strokeStyle = "#e5e7eb";
  ctx.beginPath();
  ctx.moveTo(v.left, HEAD_PX - 0.5);
  ctx.lineTo(v.left + v.viewW, HEAD_PX - 0.5);
  ctx.stroke();
  ctx.fillStyle = "#111827";
  ctx.font = "600 11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const laneW = layout.lanes.length > 1 ? layout.laneX.get(layout.lanes[1]!)! - layout.laneX.get(layout.lanes[0]!)! : v.viewW;
  for (const [id, x] of layout.laneX) {
    if (x < v.left - laneW || x > v.left + v.viewW + laneW) continue;
    ctx.fillText(fit(ctx, id, laneW - 6), x, HEAD_PX / 2);
  }
  ctx.textAlign = "start";
  ctx.restore();
}

function line(ctx: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number): void {
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
}

function head(ctx: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number): void {
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const size = 7;
  ctx.beginPath();
  ctx.moveTo(x2, y2);
  ctx.lineTo(x2 - size * Math.cos(angle - 0.45), y2 - size * Math.sin(angle - 0.45));
  ctx.lineTo(x2 - size * Math.cos(angle + 0.45), y2 - size * Math.sin(angle + 0.45));
  ctx.closePath();
  ctx.fill();
}

function dot(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.beginPath();
  ctx.arc(x, y, 1.8, 0, Math.PI * 2);
  ctx.fill();
}

function fit(ctx: CanvasRenderingContext2D, text: string, widthPx: number): string {
  if (ctx.measureText(text).width <= widthPx) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > widthPx) s = s.slice(0, -1);
  return `${s}…`;
}

function distToSegment(px: number, py: number, x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len2));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

const TYPE_ORDER = Object.keys(TYPE_COLORS);
function byTypeOrder(a: string, b: string): number {
  const ia = TYPE_ORDER.indexOf(a);
  const ib = TYPE_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** The protocol's colors, else a stable hue from the name. */
export function colorOf(type: string): string {
  const known = TYPE_COLORS[type];
  if (known) return known;
  let h = 2166136261;
  for (let i = 0; i < type.length; i += 1) h = Math.imul(h ^ type.charCodeAt(i), 16777619);
  return `hsl(${(h >>> 0) % 360} 55% 40%)`;
}

/** Wall-clock times as hh:mm:ss.mmm; small numbers (a simulation's clock) as seconds from zero. */
function clockOf(atMs: number): string {
  if (atMs < 1e11) return `${(atMs / 1000).toFixed(3)}s`;
  const d = new Date(atMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A JSON body indented; anything else as it came. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

const STYLE_ID = "st-styles";
function injectStyles(doc: Document): void {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `
.st-root { font: 12px system-ui, sans-serif; color: #111827; }
.st-bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-bottom: .35rem; }
.st-bar button, .st-bar select { font: inherit; }
.st-pause { padding: .1rem .6rem; border: 1px solid #cbd5e1; border-radius: 4px; background: #fff; cursor: pointer; }
.st-root[data-paused="true"] .st-pause { background: #fde68a; }
.st-types { display: flex; flex-wrap: wrap; gap: .25rem; }
.st-type { border: 1px solid var(--st-color); border-left-width: 10px; border-radius: 4px; background: #fff; padding: 0 .35rem; cursor: pointer; font-size: 11px; }
.st-type[data-off="true"] { opacity: .35; text-decoration: line-through; }
.st-count { color: #6b7280; margin-left: auto; font-variant-numeric: tabular-nums; }
.st-scroll { position: relative; overflow: auto; border: 1px solid #e5e7eb; border-radius: 6px; background: #fff; }
.st-canvas { position: sticky; top: 0; left: 0; display: block; }
.st-spacer { height: 0; }
.st-detail { margin-top: .35rem; }
.st-detail-head { color: #374151; font-weight: 600; }
.st-detail-body { margin: .25rem 0 0; max-height: 14rem; overflow: auto; background: #f8fafc; border: 1px solid #e5e7eb; border-radius: 4px; padding: .35rem .5rem; font-size: 11px; white-space: pre-wrap; word-break: break-all; }
.st-detail-body:empty { display: none; }
`;
  doc.head.append(style);
}
