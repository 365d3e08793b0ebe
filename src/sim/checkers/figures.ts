/** The figures the checkers keep beside a run, one part per property family. */

/** Examples kept word for word per anomaly kind; the rest are only counted. */
export const EXAMPLES_MAX = 5;

export interface OutageFigure {
  node: string;
  kind: "crash" | "silence";
  fromMs: number;
  toMs: number;
  /** Live nodes that knew the node when the outage began. */
  observers: number;
  /** Time from the outage until the last observer saw it suspect / dead; null when one never did. */
  suspectAllMs: number | null;
  deadAllMs: number | null;
  /**
   * Observers that never saw it suspect (dead) before it came back or the run
   * ended, though their own deadline (FailureChecker) fell inside the outage.
   */
  missedSuspect: number;
  missedDead: number;
  /** Observers that did not see it either, their deadline not reached before it came back. */
  notDueSuspect: number;
  notDueDead: number;
}

export interface LiarFigure {
  id: string;
  /** Honest nodes that count: never crashed, and audited the liar (scored as many of its reports as a flag needs). */
  observers: number;
  flaggedBy: number;
  /** Run time at which the last of them flagged it; null when one never did. */
  flaggedAllMs: number | null;
}

export interface CheckFigures {
  discovery: { target: number; convergedMs: number | null };
  /** After the last fault ended: every live node sees every other live node alive again. */
  reconverge: { faultsEndMs: number | null; reconvergedMs: number | null; convergedAtEnd: boolean; gapsAtEnd: string[] };
  failureDetection: {
    outages: OutageFigure[];
    falseSuspicions: number;
    falseExamples: string[];
  };
  audits: {
    total: number;
    correct: number;
    share: number | null;
    honestTotal: number;
    honestCorrect: number;
    honestShare: number | null;
    /** A node audited the same (content, epoch) twice within one life. */
    repeated: number;
  };
  reputation: {
    liars: LiarFigure[];
    /** Flags of honest nodes raised by honest nodes (must be 0). */
    honestFlagged: number;
    honestFlaggedExamples: string[];
    /** Flags of honest nodes raised by liars: their own lies skew their audits. */
    honestFlaggedByLiars: number;
    liarUnflags: number;
  };
  anomalies: {
    rejected: number;
    urlRejected: number;
    unknownPeers: number;
    /** Sends whose queue URL names another node than their `to`. */
    misaddressed: number;
    snapshotMismatches: number;
    examples: string[];
  };
  /** Honest live pairs where one chokes the other at the end of the run. */
  chokedHonestPairsAtEnd: number;
  /** Live pairs where a node's `choked` and its peer's `chokingUs` differ at the end, with no CHOKE or UNCHOKE in flight. */
  chokeViewsDisagreeing: number;
  chokeDisagreeExamples: string[];
  drops: Record<string, number>;
  duplicatesSeen: number;
}

/** Figures before the run: nothing seen yet. */
export function emptyFigures(discoveryTarget: number, faultsEndMs: number | null): CheckFigures {
  return {
    discovery: { target: discoveryTarget, convergedMs: null },
    reconverge: { faultsEndMs, reconvergedMs: null, convergedAtEnd: false, gapsAtEnd: [] },
    failureDetection: { outages: [], falseSuspicions: 0, falseExamples: [] },
    audits: { total: 0, correct: 0, share: null, honestTotal: 0, honestCorrect: 0, honestShare: null, repeated: 0 },
    reputation: { liars: [], honestFlagged: 0, honestFlaggedExamples: [], honestFlaggedByLiars: 0, liarUnflags: 0 },
    anomalies: { rejected: 0, urlRejected: 0, unknownPeers: 0, misaddressed: 0, snapshotMismatches: 0, examples: [] },
    chokedHonestPairsAtEnd: 0,
    chokeViewsDisagreeing: 0,
    chokeDisagreeExamples: [],
    drops: {},
    duplicatesSeen: 0,
  };
}
