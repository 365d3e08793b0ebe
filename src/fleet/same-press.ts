/**
 * A terminal sends Ctrl-C to the whole process group, and `bun run` forwards
 * what it gets, so one press reaches a command (`fleet up`, `fleet check`)
 * twice, milliseconds apart. A signal this soon after the first is that same
 * press, not a second one.
 */
export const SAME_PRESS_MS = 1_000;
