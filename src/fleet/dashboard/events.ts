/**
 * Server-sent events: each subscriber gets the latest view at once, then every
 * new one. A subscriber whose stream is closed or cancelled is dropped; the
 * number of subscribers is bounded so a forgotten tab loop cannot pile up.
 *
 * Each view supersedes the one before, so a viewer that does not keep up
 * (a stalled but open tab, a frozen laptop) loses nothing by missing frames:
 * once its stream holds `bufferedBytesMax` unread bytes, frames are skipped
 * for it, and after `stalledFramesMax` skipped in a row it is closed (the
 * browser reconnects by itself when it wakes up). Memory per viewer is thus
 * bounded by one buffer plus one frame.
 */
import type { View } from "./view-types.ts";

export interface EventHubOptions {
  subscribersMax: number;
  latest(): View | null;
  /** Unread bytes a viewer's stream may hold before frames are skipped for it. Default 1 MiB. */
  bufferedBytesMax?: number;
  /** Frames skipped in a row before a stalled viewer is closed. Default 30 (half a minute at 1 s). */
  stalledFramesMax?: number;
}

export interface EventHubStats {
  /** Frames skipped for viewers that were behind. */
  framesSkipped: number;
  /** Viewers closed for staying behind. */
  stalledClosed: number;
}

export interface EventHub {
  response(req: Request): Response;
  publish(view: View): void;
  readonly subscribers: number;
  stats(): EventHubStats;
  close(): void;
}

interface Subscriber {
  ctrl: ReadableStreamDefaultController<Uint8Array>;
  skipped: number;
}

export function createEventHub(opts: EventHubOptions): EventHub {
  const bufferedBytesMax = opts.bufferedBytesMax ?? 1024 * 1024;
  const stalledFramesMax = opts.stalledFramesMax ?? 30;
  const encoder = new TextEncoder();
  const subs = new Map<ReadableStreamDefaultController<Uint8Array>, Subscriber>();
  const stats: EventHubStats = { framesSkipped: 0, stalledClosed: 0 };
  const frame = (view: View) => encoder.encode(`event: view\ndata: ${JSON.stringify(view)}\n\n`);

  const drop = (c: ReadableStreamDefaultController<Uint8Array>) => {
    if (!subs.delete(c)) return;
    try {
      c.close();
    } catch {
      // already closed by the client going away
    }
  };

  return {
    get subscribers() {
      return subs.size;
    },
    stats: () => ({ ...stats }),
    response(req) {
      if (subs.size >= opts.subscribersMax) return new Response("too many dashboard viewers\n", { status: 503 });
      let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
      const stream = new ReadableStream<Uint8Array>(
        {
          start(c) {
            ctrl = c;
            subs.set(c, { ctrl: c, skipped: 0 });
            // retry: how long the browser waits before reconnecting when the fleet restarts
            c.enqueue(encoder.encode("retry: 2000\n\n"));
            const latest = opts.latest();
            if (latest) c.enqueue(frame(latest));
          },
          cancel() {
            if (ctrl) subs.delete(ctrl);
          },
        },
        // desiredSize then says how many unread bytes the viewer may still take.
        { highWaterMark: bufferedBytesMax, size: (chunk) => chunk?.byteLength ?? 0 },
      );
      req.signal.addEventListener("abort", () => ctrl && drop(ctrl));
      return new Response(stream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
      });
    },
    publish(view) {
      const bytes = frame(view);
      for (const s of [...subs.values()]) {
        const room = s.ctrl.desiredSize;
        if (room !== null && room <= 0) {
          stats.framesSkipped++;
          if (++s.skipped >= stalledFramesMax) {
            stats.stalledClosed++;
            drop(s.ctrl);
          }
          continue;
        }
        s.skipped = 0;
        try {
          s.ctrl.enqueue(bytes);
        } catch {
          drop(s.ctrl);
        }
      }
    },
    close() {
      for (const c of [...subs.keys()]) drop(c);
    },
  };
}
