import type { CheckReport } from "../types.ts";

/** One testsuite per node, one testcase per case: failures carry the requirement, expected, observed and messages; an info passes, with what it observed. */

const esc = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "?")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

export function formatJunit(r: CheckReport): string {
  const suites = r.nodes.map((n) => {
    const cases = n.cases.map((c) => {
      const name = `${c.id} ${c.title}`;
      const attrs = `name="${esc(name)}" classname="fleet-check.${esc(n.node)}.${c.area}" time="${(c.durationMs / 1000).toFixed(3)}"`;
      const detail = [
        `requirement: ${c.requirement} ${c.level}: ${c.requirementText}`,
        `expected: ${c.expected}`,
        `observed: ${c.observed}`,
        ...c.evidence.map((e) => `${e.time} ${e.type} ${e.from} -> ${e.to} ${e.body}`),
      ].join("\n");
      if (c.verdict === "fail") return `    <testcase ${attrs}>\n      <failure message="${esc(c.observed)}" type="${c.level}">${esc(detail)}</failure>\n    </testcase>`;
      if (c.verdict === "skip") return `    <testcase ${attrs}>\n      <skipped message="${esc(c.reason ?? "skipped")}"/>\n    </testcase>`;
      // A broken SHOULD is not a failure of the grade, but it is shown.
      if (c.verdict === "non-strict") return `    <testcase ${attrs}>\n      <system-out>${esc(`non-strict (a SHOULD broken)\n${detail}`)}</system-out>\n    </testcase>`;
      // An observation passes, whatever it saw: what it saw is in a property and the output.
      if (c.verdict === "info") return `    <testcase ${attrs}>\n      <properties><property name="verdict" value="info"/><property name="observed" value="${esc(c.observed)}"/></properties>\n      <system-out>${esc(`info (an observation, not graded)\n${detail}`)}</system-out>\n    </testcase>`;
      return `    <testcase ${attrs}/>`;
    });
    const s = n.summary;
    return `  <testsuite name="fleet check ${esc(n.node)}" tests="${s.cases}" failures="${s.failed}" skipped="${s.skipped}" errors="0" time="${(r.durationMs / 1000).toFixed(3)}" timestamp="${r.startedAt}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  const failures = r.nodes.reduce((k, n) => k + n.summary.failed, 0);
  const tests = r.nodes.reduce((k, n) => k + n.summary.cases, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="fleet check" tests="${tests}" failures="${failures}">\n${suites.join("\n")}\n</testsuites>\n`;
}
