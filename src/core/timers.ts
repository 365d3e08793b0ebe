/**
 * Timers as data (STYLE.md, quinn-proto): one named deadline per periodic
 * task. The earliest is when the node next needs a tick; a tick runs what is
 * due and moves each deadline on, so a second tick at the same time finds
 * nothing to do.
 */
export const TASKS = ["join", "heartbeat", "optimistic", "rechoke", "gossip", "views", "audit"] as const;
export type Task = (typeof TASKS)[number];

export type Timers = Map<Task, number>;

export function createTimers(): Timers {
  return new Map();
}

export function arm(t: Timers, task: Task, atMs: number): void {
  t.set(task, atMs);
}

export function disarm(t: Timers, task: Task): void {
  t.delete(task);
}

export function nextDeadline(t: Timers): number {
  let min = Infinity;
  for (const at of t.values()) if (at < min) min = at;
  return min;
}

/**
 * The tasks due at `nowMs`, in the fixed order of TASKS: liveness first, then
 * choking (the optimistic rotation before the plain rechoke, so that both at
 * one instant choose once), then data.
 */
export function dueTasks(t: Timers, nowMs: number): Task[] {
  return TASKS.filter((task) => {
    const at = t.get(task);
    return at !== undefined && at <= nowMs;
  });
}

/**
 * The first multiple of `periodMs` strictly after `nowMs`, on the node's own
 * clock. Every periodic task sits on this grid, so tasks of equal (or
 * dividing) periods fall due in one tick and leave as one batch per peer, and
 * nodes whose clocks agree tick together, so their bursts reach a peer
 * together and share its receives (fewer SQS requests, each a billed call).
 */
export function alignedAfter(nowMs: number, periodMs: number): number {
  const step = Math.max(1, periodMs);
  return (Math.floor(nowMs / step) + 1) * step;
}

/**
 * The next deadline of a periodic task: the next grid point after now. On
 * time that is one period on from the last; after a long gap it is the first
 * one ahead, so a stalled node does not fire a burst of catch-up rounds.
 */
export function rearm(t: Timers, task: Task, periodMs: number, nowMs: number): void {
  t.set(task, alignedAfter(nowMs, periodMs));
}
