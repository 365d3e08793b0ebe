/**
 * The case registry against docs/protocol.md: every case cites a requirement
 * that exists there (its text and level come from it), ids are unique and
 * stable in form, and the doc's "What fleet check checks" section matches.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { CASES } from "../../src/check/cases/index.ts";
import { withLinks } from "../../src/check/doc-links.ts";
import { parseRequirements, PROTOCOL_DOC_URL, requirements } from "../../src/check/requirements.ts";
import { AREAS } from "../../src/check/types.ts";

describe("fleet check's cases", () => {
  test("every cited requirement exists in docs/protocol.md", () => {
    const reqs = requirements();
    expect(CASES.filter((c) => !reqs.has(c.requirement)).map((c) => `${c.id} cites ${c.requirement}`)).toEqual([]);
  });

  test("ids are unique, `<area>-NN`, and every area has cases", () => {
    const ids = CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !/^(disc|live|tran|send|view|audit|rep|fail)-\d\d$/.test(id))).toEqual([]);
    expect(AREAS.filter((a) => !CASES.some((c) => c.area === a))).toEqual([]);
  });

  test("--quick keeps only request/response cases and the judgement of what was sent", () => {
    expect(CASES.filter((c) => c.phase === "quick").length).toBeGreaterThanOrEqual(15);
    expect(CASES.filter((c) => c.phase === "long").every((c) => c.needsMs({ heartbeatMs: 500, gossipMs: 1000, viewsMs: 500, auditMs: 1000, epochMs: 2000, rechokeMs: 1000, optimisticMs: 3000 }) > 0)).toBe(true);
  });

  test("docs/protocol.md links each checked requirement to its cases, as the registry says", () => {
    const doc = readFileSync(PROTOCOL_DOC_URL, "utf8");
    expect(withLinks(doc, CASES)).toBe(doc);
  });
});

describe("requirement lines", () => {
  test.each([
    ["- **PING-1** MUST: A node answers every PING.", { id: "PING-1", level: "MUST", text: "A node answers every PING." }],
    ["- **GOSSIP-1** SHOULD: Every 15 s a node sends", { id: "GOSSIP-1", level: "SHOULD", text: "Every 15 s a node sends" }],
    ["- **WIRE-2** MUST: one JSON\n  object, UTF-8.", { id: "WIRE-2", level: "MUST", text: "one JSON object, UTF-8." }],
  ])("%j", (line, want) => {
    expect(parseRequirements(line).get(want.id)).toEqual(want as never);
  });

  test("prose that mentions an id is no requirement", () => {
    expect(parseRequirements("A node answers as PING-1 says.\n| PING-1 | live-01 |").size).toBe(0);
  });
});
