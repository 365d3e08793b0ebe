import { createHash } from "node:crypto";

/** (content, epoch) pairs remembered; a 30-minute run over a few items needs a few hundred. */
export const TRUTH_CACHE_MAX = 100_000;

/**
 * The view model of docs/protocol.md §7, computed here on its own rather than
 * borrowed from the core, so that the audit checker judges the core against
 * the formula and not against itself.
 */
export class ViewTruth {
  private readonly cache = new Map<string, number>();

  constructor(private readonly seed: string) {}

  count(contentId: string, epoch: number): number {
    const key = `${contentId}:${epoch}`;
    let c = this.cache.get(key);
    if (c === undefined) {
      const digest = createHash("sha256").update(`${this.seed}:${key}`, "utf8").digest();
      c = 100 + (digest.readUInt32BE(0) % 900);
      if (this.cache.size >= TRUTH_CACHE_MAX) this.cache.clear();
      this.cache.set(key, c);
    }
    return c;
  }
}
