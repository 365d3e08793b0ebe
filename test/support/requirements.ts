/**
 * The requirements of docs/protocol.md as tests read them: one bullet line
 * each, `- **AREA-N** LEVEL: text`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const PROTOCOL_DOC = join(import.meta.dir, "..", "..", "docs", "protocol.md");

export const AREAS = [
  "WIRE", "FIELD", "ID", "URL", "BOUND", "HELLO", "PEERS", "PING", "PONG", "VIEW", "AUDIT",
  "CHOKE", "JOIN", "GOSSIP", "BEAT", "FAIL", "PUB", "MODEL", "VOTE", "REP", "RECHOKE", "PERSONA",
  "SCALE",
] as const;

export interface Requirement {
  id: string;
  area: string;
  n: number;
  level: "MUST" | "SHOULD";
  text: string;
  /** The `## N. Title` section it sits in. */
  section: string;
  line: number;
}

export const REQUIREMENT_LINE_RE = /^- \*\*([A-Z]+)-(\d+)\*\* (MUST|SHOULD): (\S.*)$/;
/** Any citation of a requirement id, in the doc or in a test. */
export const CITATION_RE = new RegExp(`\\b(?:${AREAS.join("|")})-\\d+\\b`, "g");

export function readProtocolDoc(): string {
  return readFileSync(PROTOCOL_DOC, "utf8");
}

/** Every requirement line of the doc, and the bullet lines that look like one but do not parse. */
export function parseRequirements(doc: string): { requirements: Requirement[]; malformed: string[] } {
  const requirements: Requirement[] = [];
  const malformed: string[] = [];
  let section = "";
  doc.split("\n").forEach((raw, i) => {
    const heading = /^## (\d+\. .+)$/.exec(raw);
    if (heading) section = heading[1]!;
    if (!raw.startsWith("- **")) return;
    const m = REQUIREMENT_LINE_RE.exec(raw);
    if (!m) {
      malformed.push(raw);
      return;
    }
    const [, area, n, level, text] = m;
    requirements.push({ id: `${area}-${n}`, area: area!, n: Number(n), level: level as Requirement["level"], text: text!, section, line: i + 1 });
  });
  return { requirements, malformed };
}
