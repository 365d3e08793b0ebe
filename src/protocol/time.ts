/**
 * ISO 8601 with an offset (docs/protocol.md §2, FIELD-5). Fractional seconds of any length
 * are accepted because Python's isoformat() sends microseconds; JavaScript's
 * own parser is not relied on for those, so we cut the fraction to
 * milliseconds ourselves.
 */
export const ISO_TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the Unix epoch, or null when the text is not a valid timestamp. */
export function parseTimestampMs(text: string): number | null {
  if (text === lastText) return lastMs;
  const ms = judgeTimestamp(text);
  lastText = text;
  lastMs = ms;
  return ms;
}

/**
 * The last text parsed and what it gave: a node's sends of one call share
 * a timestamp, and their receivers meet it again and again (VIEW_EVENTs
 * come in runs from one sender). The answer depends on the text alone.
 */
let lastText: string | undefined;
let lastMs: number | null = null;

function judgeTimestamp(text: string): number | null {
  const m = ISO_TIMESTAMP_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = "", off] = m;
  const ms = Number((frac + "000").slice(0, 3));
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const base = Date.UTC(...fields, ms);
  // Date.UTC rolls over (February 31st is March 3rd, 24:00 is the next day,
  // years below 100 are 19xx): a time is real only if its fields come back.
  const back = new Date(base);
  const again = [back.getUTCFullYear(), back.getUTCMonth(), back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()];
  if (!fields.every((f, i) => f === again[i])) return null;
  let offsetMin = 0;
  if (off !== "Z") {
    const sign = off!.startsWith("-") ? -1 : 1;
    const oh = Number(off!.slice(1, 3));
    const om = Number(off!.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  const t = base - offsetMin * 60_000;
  return Number.isFinite(t) ? t : null;
}

/** UTC with a `Z`, as docs/protocol.md §2 says to emit (FIELD-4). */
export function formatTimestamp(ms: number): string {
  // A node's sends of one call share their time: the text is made once for them.
  if (ms !== lastFormattedMs) {
    lastFormatted = new Date(ms).toISOString();
    lastFormattedMs = ms;
  }
  return lastFormatted;
}

let lastFormattedMs = NaN;
let lastFormatted = "";
