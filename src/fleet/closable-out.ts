/**
 * stdout as `fleet up` writes it, when it may be a pipe whose reader goes
 * away: `fleet up | head`, or a `| tee fleet.log` that the same Ctrl-C ended
 * first. A write then fails with EPIPE, thrown at once by the write or
 * emitted later by the stream; left alone it is an uncaught exception in the
 * middle of a log call, a stack trace, and nodes killed before they save
 * their state. Instead the first such failure is reported once through
 * `onClosed` (the fleet stops as on Ctrl-C), and later writes are dropped:
 * there is no one left to read them.
 */
export interface ClosableOut {
  write(s: string): void;
  /** Calls `then` once what was written has left, or at once when the reader is gone. */
  flush(then: () => void): void;
  readonly closed: boolean;
}

/** What a write to a pipe with no reader fails with. */
function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}

export function closableOut(stream: NodeJS.WriteStream, onClosed: () => void): ClosableOut {
  let closed = false;
  const close = (err: unknown) => {
    if (!isClosedPipe(err)) throw err;
    if (closed) return;
    closed = true;
    onClosed();
  };
  stream.on("error", close);
  return {
    get closed() {
      return closed;
    },
    write(s) {
      if (closed) return;
      try {
        stream.write(s);
      } catch (err) {
        close(err);
      }
    },
    flush(then) {
      if (closed) return then();
      try {
        stream.write("", () => then());
      } catch (err) {
        close(err);
        then();
      }
    },
  };
}
