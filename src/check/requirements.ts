import { readFileSync } from "node:fs";
import type { Level } from "./types.ts";

/**
 * The requirements of docs/protocol.md, the one source of each case's
 * requirement text and level: a line `- **PING-1** MUST: text` (the text
 * may go on over the following indented lines).
 */
export interface Requirement {
  id: string;
  level: Level;
  text: string;
}

export const PROTOCOL_DOC_URL = new URL("../../docs/protocol.md", import.meta.url);

const LINE_RE = /^\s*[-*]\s+\*\*([A-Z]+-\d+)\*\*\s+(MUST|SHOULD)(?: NOT)?:?\s*(.*)$/;

export function parseRequirements(markdown: string): Map<string, Requirement> {
  const out = new Map<string, Requirement>();
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = LINE_RE.exec(lines[i]!);
    if (!m) continue;
    let text = m[3]!.trim();
    // Continuation lines: indented, not a new list item, not blank.
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j]!;
      if (!/^\s{2,}\S/.test(next) || /^\s*[-*]\s/.test(next)) break;
      text += " " + next.trim();
    }
    const negated = /\*\*\s+(MUST|SHOULD) NOT/.test(lines[i]!);
    out.set(m[1]!, { id: m[1]!, level: m[2] as Level, text: negated ? `${m[2]} NOT: ${text}` : text });
  }
  return out;
}

let cached: Map<string, Requirement> | null = null;

/** docs/protocol.md's requirements, read once. */
export function requirements(): Map<string, Requirement> {
  cached ??= parseRequirements(readFileSync(PROTOCOL_DOC_URL, "utf8"));
  return cached;
}
