import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { trueCount } from "../../src/core/views.ts";
import { commandNodeEnv } from "../../src/fleet/node-env.ts";
import { describeWith, pythonWith } from "../support/outside.ts";
import { AREAS, CITATION_RE, parseRequirements, readProtocolDoc } from "../support/requirements.ts";

const doc = readProtocolDoc();
const { requirements, malformed } = parseRequirements(doc);
const ids = new Set(requirements.map((r) => r.id));
const TEST_ROOT = join(import.meta.dir, "..");
const VECTORS = join(import.meta.dir, "..", "..", "..", "shared", "vectors", "view-model.json");

interface Case {
  seed: string;
  content_id: string;
  epoch: number;
  count: number;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** The fenced code block of a language, the n-th of its kind. */
function codeBlock(lang: string): string {
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(doc);
  if (!m) throw new Error(`docs/protocol.md has no \`\`\`${lang} block`);
  return m[1]!;
}

/** The worked example's table: `| \`seed\` | \`content\` | epoch | count |`. */
function exampleCases(): Case[] {
  const rows = [...doc.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| (\d+) \| (\d+) \|$/gm)];
  return rows.map(([, seed, content_id, epoch, count]) => ({ seed: seed!, content_id: content_id!, epoch: Number(epoch), count: Number(count) }));
}

function vectorCases(): Case[] {
  return (JSON.parse(readFileSync(VECTORS, "utf8")) as { cases: Case[] }).cases;
}

describe("docs/protocol.md requirements", () => {
  test("every bullet that opens with bold is a requirement line `- **AREA-N** MUST|SHOULD: text`", () => {
    expect(malformed).toEqual([]);
    expect(requirements.length).toBeGreaterThan(50);
  });

  test("ids are unique, from the known areas, numbered from 1 without gaps", () => {
    expect(ids.size).toBe(requirements.length);
    const known = new Set<string>(AREAS);
    expect(requirements.filter((r) => !known.has(r.area)).map((r) => r.id)).toEqual([]);
    for (const area of AREAS) {
      const ns = requirements.filter((r) => r.area === area).map((r) => r.n).sort((a, b) => a - b);
      expect({ area, ns }).toEqual({ area, ns: ns.map((_, i) => i + 1) });
      expect(ns.length).toBeGreaterThan(0);
    }
  });

  test("sections are numbered 1, 2, 3... and every requirement sits in one", () => {
    const numbers = [...doc.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(requirements.filter((r) => r.section === "").map((r) => r.id)).toEqual([]);
  });

  test("every id the doc cites in its own text exists", () => {
    const cited = new Set(doc.match(CITATION_RE) ?? []);
    expect([...cited].filter((id) => !ids.has(id))).toEqual([]);
  });

  test("every requirement id cited in a test exists in docs/protocol.md", () => {
    const unknown: string[] = [];
    let citations = 0;
    for (const file of testFiles(TEST_ROOT)) {
      for (const id of readFileSync(file, "utf8").match(CITATION_RE) ?? []) {
        citations++;
        if (!ids.has(id)) unknown.push(`${relative(TEST_ROOT, file)}: ${id}`);
      }
    }
    expect(unknown).toEqual([]);
    // Tests in core and protocol cite requirements by id; a suite citing none would pass this vacuously.
    expect(citations).toBeGreaterThan(10);
  });
});

describe("docs/protocol.md worked example of the view model", () => {
  test("the example's table agrees with the core and with the shared vectors", () => {
    const cases = exampleCases();
    expect(cases.length).toBeGreaterThanOrEqual(5);
    const vectors = vectorCases();
    for (const c of cases) {
      expect({ ...c, count: trueCount(c.seed, c.content_id, c.epoch) }).toEqual(c);
      expect(vectors).toContainEqual(c);
    }
  });

  test("the steps: 1770000007 s is epoch 59000000 and its count is 227", () => {
    expect(doc).toContain("floor(1770000007 / 30) = **59000000**");
    expect(Math.floor(1770000007 / 30)).toBe(59000000);
    expect(doc).toContain("100 + 127 = **227**");
    expect(trueCount("ds2032", "show:midnight-run", 59000000)).toBe(227);
  });

  test("the TypeScript function reproduces every shared vector", async () => {
    const dir = mkdtempSync(join(tmpdir(), "protocol-doc-"));
    const file = join(dir, "true-count.ts");
    writeFileSync(file, codeBlock("typescript").replace("function trueCount", "export function trueCount"));
    const mod = (await import(file)) as { trueCount: (s: string, c: string, e: number) => number };
    const cases = vectorCases();
    expect(cases.map((c) => mod.trueCount(c.seed, c.content_id, c.epoch))).toEqual(cases.map((c) => c.count));
  });
});

describe("docs/protocol.md §12, the network's settings", () => {
  test("lists exactly the variables a command node gets", () => {
    const section = doc.slice(doc.indexOf("## 12. "));
    const listed = new Set([...section.matchAll(/^\| (`[A-Z0-9_]+`(?:, `[A-Z0-9_]+`)*) \|/gm)].flatMap((m) => m[1]!.split(", ").map((v) => v.slice(1, -1))));
    const env = commandNodeEnv({
      nodeId: "sam",
      net: { region: "us-east-1", account: "194722398367", prefix: "ds2032" },
      mode: "local",
      endpoint: "http://127.0.0.1:4566",
      bootstrap: ["bot-alpha"],
      settings: { seed: "ds2032", timing: { heartbeat: 10, gossip: 15, views: 10, audit: 30, epoch: 30, rechoke: 10, optimistic: 30 }, content: [] },
      base: {},
    });
    // PYTHONUNBUFFERED is how the log stream gets a Python node's lines as they come, not a network setting.
    const given = Object.keys(env).filter((k) => k !== "PYTHONUNBUFFERED");
    expect([...listed].sort()).toEqual(given.sort());
  });
});

const python = pythonWith([]);

describeWith(python)("docs/protocol.md Python function", () => {
  test("reproduces every shared vector", async () => {
    const cases = vectorCases();
    const script = `${codeBlock("python")}\nimport json, sys\nfor c in json.load(sys.stdin):\n    print(true_count(c["seed"], c["content_id"], c["epoch"]))\n`;
    const proc = Bun.spawn([python.found!, "-c", script], { stdin: new Blob([JSON.stringify(cases)]), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.trim().split("\n").map(Number)).toEqual(cases.map((c) => c.count));
  });
});
