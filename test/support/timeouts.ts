/**
 * The suite's default bound on one test. Bun reads no default timeout from
 * bunfig.toml (only `bun test --timeout`), and its own 5 s is a speed limit
 * that a loaded machine fails; a file whose tests do real work sets this one
 * with `setDefaultTimeout(TEST_TIMEOUT_MS)`. Tests assert behaviour: this
 * bound only stops a test that would never end.
 */
export const TEST_TIMEOUT_MS = 60_000;
