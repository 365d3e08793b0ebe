/**
 * Exponential backoff with "equal jitter": half the delay is fixed, so a
 * failing endpoint is never hammered, and half is random, so nodes that failed
 * together do not retry in lockstep.
 */
export interface BackoffOptions {
  /** First delay, ms. Default 200. */
  baseMs?: number;
  /** Largest delay, ms. Default 20 000: a node finds SQS again within ~20 s of its return. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 200, maxMs: 20_000 };

export function backoffDelayMs(attempt: number, opts: Required<BackoffOptions>, random: () => number): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A sleep that ends early when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Whether `p` settles within `ms`: how a stop waits out its bound (the
 * transport's, a launcher's, a bench's). Its sleep is cut short once `p`
 * settles, so a stop that finished early leaves no timer holding the process open.
 */
export async function endsWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = new AbortController();
  try {
    return await Promise.race([p.then(() => true), sleep(ms, settled.signal).then(() => false)]);
  } finally {
    settled.abort();
  }
}
