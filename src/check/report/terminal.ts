import { AREAS, AREA_TITLES, type CaseReport, type CheckReport, type NodeReport, type Summary } from "../types.ts";

/**
 * The terminal report: cases grouped by area with a mark each, under every
 * failure the requirement, expected, observed and the messages that show it;
 * then one summary line and the verdict. With several nodes, the matrix.
 */

const MARKS: Record<CaseReport["verdict"], string> = { pass: "✔", fail: "×", "non-strict": "!", skip: "-", info: "i" };

export function summaryLine(s: Summary): string {
  return `${s.cases} cases: ${s.passed} passed, ${s.failed} failed, ${s.nonStrict} non-strict, ${s.skipped} skipped, ${s.info} info`;
}

function caseBlock(c: CaseReport): string[] {
  const note = c.verdict === "skip" ? `  (skipped: ${c.reason ?? "-"})` : c.verdict === "non-strict" ? "  (non-strict: a SHOULD)" : c.verdict === "info" ? `  (info, not graded: ${c.observed})` : "";
  const head = `  ${MARKS[c.verdict]} ${c.id}  ${c.title}${note}`;
  if (c.verdict !== "fail" && c.verdict !== "non-strict") return [head];
  const lines = [
    head,
    `      requirement  ${c.requirement} ${c.level}: ${c.requirementText}`,
    `      expected     ${c.expected}`,
    `      observed     ${c.observed}`,
  ];
  if (c.evidence.length > 0) lines.push("      messages");
  for (const e of c.evidence) lines.push(`        ${e.time.slice(11, 23)}  ${e.type.padEnd(12)} ${e.from} → ${e.to}  ${e.body}`);
  return lines;
}

export function formatNode(r: NodeReport): string {
  const out: string[] = [`fleet check of ${r.node}`];
  for (const area of AREAS) {
    const cases = r.cases.filter((c) => c.area === area);
    if (cases.length === 0) continue;
    out.push("", AREA_TITLES[area]);
    for (const c of cases) out.push(...caseBlock(c));
  }
  out.push("", summaryLine(r.summary), `verdict: ${r.verdict === "pass" ? "PASS" : "FAIL"} (${r.node})`);
  return out.join("\n");
}

/** nodes × cases, one mark per cell. */
export function formatMatrix(nodes: readonly NodeReport[]): string {
  const ids = nodes[0]?.cases.map((c) => c.id) ?? [];
  const width = Math.max(4, ...nodes.map((n) => n.node.length));
  const header = `${"NODE".padEnd(width)}  ${ids.map((id) => id.slice(-2)).join(" ")}   VERDICT`;
  const rows = nodes.map((n) => `${n.node.padEnd(width)}  ${n.cases.map((c) => ` ${MARKS[c.verdict]}`).join(" ")}   ${n.verdict.toUpperCase()}  ${summaryLine(n.summary)}`);
  return ["class matrix (columns: " + ids.join(" ") + ")", header, ...rows].join("\n");
}

export function formatTerminal(r: CheckReport): string {
  if (r.nodes.length <= 1) return formatNode(r.nodes[0] ?? r);
  return [...r.nodes.map(formatNode), "", formatMatrix(r.nodes)].join("\n\n");
}
