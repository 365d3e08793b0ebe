/**
 * Server-sent events: each subscriber gets the latest view at once, then every
 * new one. A subscriber whose stream is closed or cancelled is dropped; the
 * number of subscribers is bounded so a forgotten tab loop cannot pile up.
 */
import type { View } from "./view-types.ts";

export interface EventHub {
  response(req: Request): Response;
  publish(view: View): void;
  readonly subscribers: number;
  close(): void;
}

export function createEventHub(opts: { subscribersMax: number; latest(): View | null }): EventHub {
  const encoder = new TextEncoder();
  const subs = new Set<ReadableStreamDefaultController<Uint8Array>>();
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
    response(req) {
      if (subs.size >= opts.subscribersMax) return new Response("too many dashboard viewers\n", { status: 503 });
      let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          ctrl = c;
          subs.add(c);
          // retry: how long the browser waits before reconnecting when the fleet restarts
          c.enqueue(encoder.encode("retry: 2000\n\n"));
          const latest = opts.latest();
          if (latest) c.enqueue(frame(latest));
        },
        cancel() {
          if (ctrl) subs.delete(ctrl);
        },
      });
      req.signal.addEventListener("abort", () => ctrl && drop(ctrl));
      return new Response(stream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
      });
    },
    publish(view) {
      const bytes = frame(view);
      for (const c of subs) {
        try {
          c.enqueue(bytes);
        } catch {
          drop(c);
        }
      }
    },
    close() {
      for (const c of [...subs]) drop(c);
    },
  };
}
