/**
 * The one way a test waits: on a condition it can observe, polled, with a
 * bound that turns a wait that never ends into a failure naming what did not
 * happen. Never a sleep followed by an assertion.
 */

/** Polls `probe` until it gives a value that is not null, undefined or false; throws past `boundMs`. */
export async function until<T>(
  what: string,
  boundMs: number,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${boundMs} ms`);
    await Bun.sleep(everyMs);
  }
}
