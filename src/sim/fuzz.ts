import { createRng } from "../core/rng.ts";
import type { SimOptionsInput } from "./options.ts";

/**
 * Options drawn from a seed, VOPR-style: fleet size, liars, bootstraps,
 * duplication, reordering, crashes (fresh or persisted), silences, a
 * partition, clock skew and a late bootstrap, each in the range the
 * properties are meant to hold for. The same seed gives the same options,
 * so a failing fuzz run replays from its seed alone.
 */
export function fuzzOptions(seed: number | string, minutes = 10): SimOptionsInput {
  const r = createRng(`fuzz:${seed}`);
  const nodes = 5 + r.int(8);
  const bootstraps = 1 + (r.int(4) === 0 ? 1 : 0);
  const liars = r.int(Math.min(4, nodes - bootstraps - 2));
  const honestOthers = nodes - bootstraps - liars;
  const crash = r.int(Math.min(3, honestOthers) + 1);
  const silence = r.int(Math.min(2, honestOthers - crash) + 1);
  return {
    seed: String(seed),
    nodes,
    minutes,
    liars,
    bootstraps,
    dup: Math.round(r.float() * 50) / 100,
    reorder: Math.round(r.float() * 50) / 100,
    crash,
    silence,
    restart: r.int(2) === 0 ? "fresh" : "persisted",
    partition: r.int(3) === 0,
    skewMaxMs: r.int(5_001),
    bootstrapLateMs: r.int(4) === 0 ? r.int(90_001) : 0,
    wire: "object",
  };
}
