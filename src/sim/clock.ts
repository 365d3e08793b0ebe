/**
 * Virtual time: a binary min-heap of events ordered by (atMs, seq). The
 * sequence number breaks ties in insertion order, so two events due at the
 * same millisecond always run in the same order and a run replays exactly.
 */
export interface Scheduled<T> {
  atMs: number;
  seq: number;
  item: T;
}

export class EventClock<T> {
  private heap: Scheduled<T>[] = [];
  private seqNext = 0;
  /** Virtual now, ms: the time of the event last taken. */
  nowMs: number;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `atMs`; a time in the past runs at the current time. */
  at(atMs: number, item: T): void {
    const node: Scheduled<T> = { atMs: atMs < this.nowMs ? this.nowMs : atMs, seq: this.seqNext++, item };
    const h = this.heap;
    let i = h.length;
    h.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (p.atMs < node.atMs || (p.atMs === node.atMs && p.seq < node.seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = node;
  }

  /** The time of the next event, or Infinity when none is left. */
  peekMs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.atMs;
  }

  /** Takes the next event and moves virtual time to it. */
  next(): T | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let cn = h[l]!;
        if (r < n) {
          const rn = h[r]!;
          if (rn.atMs < cn.atMs || (rn.atMs === cn.atMs && rn.seq < cn.seq)) {
            c = r;
            cn = rn;
          }
        }
        if (last.atMs < cn.atMs || (last.atMs === cn.atMs && last.seq < cn.seq)) break;
        h[i] = cn;
        i = c;
      }
      h[i] = last;
    }
    this.nowMs = top.atMs;
    return top.item;
  }
}
