import { describe, expect, test } from "bun:test";
import { DEFAULT_TIMING_MS } from "../../src/core/settings.ts";
import { runCases } from "../../src/check/runner.ts";
import type { CaseDef, CheckSession } from "../../src/check/session.ts";
import type { Outcome } from "../../src/check/types.ts";

type ProcessState = ReturnType<CheckSession["processState"]>;

/** Only what the runner reads of a session for a quick case: its deadline, timings, stalls and the node's process. */
function session(state: (caseStartMs: number) => ProcessState, startedAt: { ms: number }): CheckSession {
  return {
    deadlineMs: Date.now() + 60_000,
    timing: DEFAULT_TIMING_MS,
    stalledMs: () => 0,
    processState: () => state(startedAt.ms),
  } as unknown as CheckSession;
}

function oneCase(o: Outcome, startedAt: { ms: number }): CaseDef {
  return {
    id: "live-01",
    title: "PING answered",
    area: "liveness",
    requirement: "PING-1",
    phase: "quick",
    needsMs: () => 1_000,
    run: async () => {
      startedAt.ms = Date.now();
      return o;
    },
  };
}

const fail: Outcome = { verdict: "fail", expected: "a PONG", observed: "no PONG within 2 s" };
const ended = (exitedAtMs: number): ProcessState => ({ running: false, starts: 1, exit: "exited with code 1", exitedAtMs });

describe("a failure of a node whose process had ended says so (--run); the verdict stands", () => {
  test.each<[string, Outcome, (t0: number) => ProcessState, string]>([
    ["not a --run check", fail, () => null, "no PONG within 2 s"],
    ["the node still running", fail, () => ({ running: true, starts: 1 }), "no PONG within 2 s"],
    ["ended before the case", fail, (t0) => ended(t0 - 5_000), "no PONG within 2 s (the node's process had ended before this case began: exited with code 1: this case met a node that was gone)"],
    ["ended during the case", fail, (t0) => ended(t0 + 1_500), "no PONG within 2 s (the node's process had ended 1.5 s into this case: exited with code 1: this case met a node that was gone)"],
    ["the case said so already", { ...fail, observed: "the node's process ended (exited with code 1)" }, (t0) => ended(t0 - 1), "the node's process ended (exited with code 1)"],
    ["a pass is left alone", { verdict: "pass", expected: "a PONG", observed: "answered after 12 ms" }, (t0) => ended(t0 - 1), "answered after 12 ms"],
  ])("%s", async (_name, outcome, state, observed) => {
    const startedAt = { ms: 0 };
    const [r] = await runCases([oneCase(outcome, startedAt)], session(state, startedAt), { quick: true });
    expect({ verdict: r!.verdict, observed: r!.observed }).toEqual({ verdict: outcome.verdict, observed });
  });
});
