/**
 * docs/protocol.md §9: a beta score over audited reports, with older outcomes
 * forgotten, and a flag with hysteresis so a score near the line does not flap.
 */
export interface Reputation {
  /** Forgotten-weighted agreeing reports. */
  agree: number;
  /** Forgotten-weighted disagreeing reports. */
  disagree: number;
  /** Audited reports counted, before forgetting. */
  reports: number;
  flagged: boolean;
}

export const REPUTATION = {
  /** Each audited report multiplies older outcomes by this. */
  forgetting: 0.95,
  /** Flag below this score... */
  flagBelow: 0.7,
  /** ...once at least this many reports were audited... */
  flagAfterReports: 8,
  /** ...and unflag only above this one. */
  unflagAbove: 0.8,
} as const;

export const FRESH_REPUTATION: Readonly<Reputation> = Object.freeze({ agree: 0, disagree: 0, reports: 0, flagged: false });

/** `(agree + 1) / (agree + disagree + 2)`: 0.5 for a peer with no history. */
export function score(r: Pick<Reputation, "agree" | "disagree">): number {
  return (r.agree + 1) / (r.agree + r.disagree + 2);
}

/** Whether the flag should be set after an update, given whether it was. */
export function nextFlagged(r: Pick<Reputation, "agree" | "disagree" | "reports">, wasFlagged: boolean): boolean {
  const s = score(r);
  if (wasFlagged) return s <= REPUTATION.unflagAbove;
  return r.reports >= REPUTATION.flagAfterReports && s < REPUTATION.flagBelow;
}

/** One audited report: older outcomes fade, this one counts fully. */
export function recordOutcome(r: Reputation, agreed: boolean): Reputation {
  const f = REPUTATION.forgetting;
  const next = {
    agree: r.agree * f + (agreed ? 1 : 0),
    disagree: r.disagree * f + (agreed ? 0 : 1),
    reports: r.reports + 1,
  };
  return { ...next, flagged: nextFlagged(next, r.flagged) };
}
