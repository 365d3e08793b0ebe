/**
 * The message timeline over server-sent events, for the space-time diagram:
 * a page gets the whole ring when it connects (`reset`), then only the
 * records that are new at each sample. A page that stops reading is not sent
 * deltas it would have to piece together: once its stream holds
 * `bufferedBytesMax` unread bytes it is skipped, and when it has room again
 * it gets the whole ring afresh; after `stalledFramesMax` skips in a row it
 * is closed (the browser reconnects by itself). Memory per page is bounded
 * by one buffer plus one ring.
 */
import type { WireRecord } from "../../runtime/wire-record.ts";
import type { WireRing } from "../wire-ring.ts";

export interface TimelineFrame {
  /** True: these are all the records held, replacing what the page had. */
  reset: boolean;
  records: WireRecord[];
  /** How many records the fleet keeps: the page keeps as many. */
  recordsMax: number;
  /** Records the nodes could not fit in their reports, so far. */
  droppedAtNodes: number;
}

export interface TimelineFeed {
  response(req: Request): Response;
  /** Sends what is new since the last publish to every page. */
  publish(): void;
  readonly subscribers: number;
  close(): void;
}

export interface TimelineFeedOptions {
  ring: WireRing;
  recordsMax: number;
  subscribersMax: number;
  /** Default 4 MiB: the whole ring of 5,000 short messages fits. */
  bufferedBytesMax?: number;
  /** Default 30 (half a minute at one sample a second). */
  stalledFramesMax?: number;
}

interface Subscriber {
  ctrl: ReadableStreamDefaultController<Uint8Array>;
  /** Sequence number of the last record this page got; -1 means it needs the whole ring. */
  lastSeq: number;
  skipped: number;
}

export function createTimelineFeed(opts: TimelineFeedOptions): TimelineFeed {
  const bufferedBytesMax = opts.bufferedBytesMax ?? 4 * 1024 * 1024;
  const stalledFramesMax = opts.stalledFramesMax ?? 30;
  const encoder = new TextEncoder();
  const subs = new Map<ReadableStreamDefaultController<Uint8Array>, Subscriber>();
  let publishedSeq = -1;

  const frame = (f: TimelineFrame) => encoder.encode(`event: timeline\ndata: ${JSON.stringify(f)}\n\n`);
  const whole = () => {
    const { records, lastSeq } = opts.ring.since(-1);
    return { bytes: frame({ reset: true, records, recordsMax: opts.recordsMax, droppedAtNodes: opts.ring.droppedAtNodes }), lastSeq };
  };
  const drop = (c: ReadableStreamDefaultController<Uint8Array>) => {
    if (!subs.delete(c)) return;
    try {
      c.close();
    } catch {
      // already closed by the page going away
    }
  };
  const send = (s: Subscriber, bytes: Uint8Array, lastSeq: number) => {
    try {
      s.ctrl.enqueue(bytes);
      s.lastSeq = lastSeq;
    } catch {
      drop(s.ctrl);
    }
  };

  return {
    get subscribers() {
      return subs.size;
    },
    response(req) {
      if (subs.size >= opts.subscribersMax) return new Response("too many timeline viewers\n", { status: 503 });
      let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
      const stream = new ReadableStream<Uint8Array>(
        {
          start(c) {
            ctrl = c;
            const s: Subscriber = { ctrl: c, lastSeq: -1, skipped: 0 };
            subs.set(c, s);
            c.enqueue(encoder.encode("retry: 2000\n\n"));
            const w = whole();
            send(s, w.bytes, w.lastSeq);
          },
          cancel() {
            if (ctrl) subs.delete(ctrl);
          },
        },
        { highWaterMark: bufferedBytesMax, size: (chunk) => chunk?.byteLength ?? 0 },
      );
      req.signal.addEventListener("abort", () => ctrl && drop(ctrl));
      return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" } });
    },
    publish() {
      const { records, lastSeq } = opts.ring.since(publishedSeq);
      publishedSeq = lastSeq;
      // sequence number of records[0]: later than asked for when the ring turned over meanwhile
      const firstSeq = lastSeq - records.length + 1;
      const delta = new Map<number, Uint8Array>(); // a page's lastSeq -> its frame, built once per distinct position
      const deltaFrom = (seq: number) => {
        let bytes = delta.get(seq);
        if (!bytes) {
          bytes = frame({ reset: false, records: records.slice(seq + 1 - firstSeq), recordsMax: opts.recordsMax, droppedAtNodes: opts.ring.droppedAtNodes });
          delta.set(seq, bytes);
        }
        return bytes;
      };
      let fresh: { bytes: Uint8Array; lastSeq: number } | null = null;
      for (const s of [...subs.values()]) {
        const room = s.ctrl.desiredSize;
        if (room !== null && room <= 0) {
          s.lastSeq = -1; // it missed records: it gets the whole ring once it reads again
          if (++s.skipped >= stalledFramesMax) drop(s.ctrl);
          continue;
        }
        s.skipped = 0;
        if (s.lastSeq === lastSeq) continue;
        if (s.lastSeq >= 0 && s.lastSeq + 1 >= firstSeq) send(s, deltaFrom(s.lastSeq), lastSeq);
        else {
          fresh ??= whole();
          send(s, fresh.bytes, fresh.lastSeq);
        }
      }
    },
    close() {
      for (const c of [...subs.keys()]) drop(c);
    },
  };
}
