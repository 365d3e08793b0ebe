import { z } from "zod";

/**
 * `bench --seconds S`, with or without `--fleet N`: the window every
 * steady-state figure is measured over (and how long a converged fleet must
 * hold). A window of 0 measures nothing, and the figures scaled from it to a
 * minute would be divisions by zero printed as results.
 */
export const BenchFlags = z.object({
  seconds: z.number().positive().max(86_400).optional(),
});
