/**
 * Virtual time: a binary min-heap of events ordered by (atMs, seq). The
 * sequence number breaks ties in insertion order, so two events due at the
 * same millisecond always run in the same order and a run replays exactly.
 *
 * The heap is three parallel arrays (times, sequence numbers, items): a
 * sift compares numbers read from two dense arrays instead of fields of an
 * object per event, each a cache miss once a large run keeps tens of
 * thousands in flight.
 */
export class EventClock<T> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private items: Array<T | undefined> = new Array(1024);
  private n = 0;
  private seqNext = 0;
  /** Virtual now, ms: the time of the event last taken. */
  nowMs: number;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  get size(): number {
    return this.n;
  }

  /** Schedules `item` at `atMs`; a time in the past runs at the current time. */
  at(atMs: number, item: T): void {
    const t = atMs < this.nowMs ? this.nowMs : atMs;
    const seq = this.seqNext++;
    if (this.n === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent];
      i = parent;
    }
    times[i] = t;
    seqs[i] = seq;
    items[i] = item;
  }

  /** The time of the next event, or Infinity when none is left. */
  peekMs(): number {
    return this.n === 0 ? Infinity : this.times[0]!;
  }

  /** Takes the next event and moves virtual time to it. */
  next(): T | undefined {
    if (this.n === 0) return undefined;
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const topTime = times[0]!;
    const top = items[0];
    const n = --this.n;
    if (n > 0) {
      const lt = times[n]!;
      const ls = seqs[n]!;
      const li = items[n];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let ct = times[l]!;
        let cs = seqs[l]!;
        if (r < n) {
          const rt = times[r]!;
          const rs = seqs[r]!;
          if (rt < ct || (rt === ct && rs < cs)) {
            c = r;
            ct = rt;
            cs = rs;
          }
        }
        if (lt < ct || (lt === ct && ls < cs)) break;
        times[i] = ct;
        seqs[i] = cs;
        items[i] = items[c];
        i = c;
      }
      times[i] = lt;
      seqs[i] = ls;
      items[i] = li;
    }
    // The slot past the end no longer holds an event: let its item go.
    items[n] = undefined;
    this.nowMs = topTime;
    return top;
  }

  private grow(): void {
    const size = 2 * this.times.length;
    const times = new Float64Array(size);
    times.set(this.times);
    const seqs = new Float64Array(size);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.items.length = size;
  }
}
