import { existsSync, readFileSync, statSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { FleetFile } from "./config.ts";

/** A fleet file read and validated, or the one message that says why not. */
export type FleetFileLoad = { ok: true; file: FleetFile } | { ok: false; message: string };

/** Issues shown at most, so a file of garbage still gets a readable message. */
const ISSUES_SHOWN_MAX = 8;
/** File size read at most: a fleet file is a page, not a data set. */
const FILE_BYTES_MAX = 1024 * 1024;

/** Reads and validates a fleet file; every failure is one message for the user, never a throw. */
export function loadFleetFile(path: string): FleetFileLoad {
  if (!existsSync(path)) {
    return {
      ok: false,
      message:
        `${path}: no such file.\n` +
        `Run from the repository root (it has a fleet.yaml), or pass --file PATH to a fleet file ` +
        `(README.md, "fleet.yaml reference", shows one).`,
    };
  }
  let text: string;
  try {
    if (statSync(path).size > FILE_BYTES_MAX) return { ok: false, message: `${path}: over ${FILE_BYTES_MAX} bytes; not a fleet file.` };
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ok: false, message: `${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).` };
  }
  return validateFleetText(text, path);
}

/** The pure half of loadFleetFile: YAML text to a validated fleet file or one message. */
export function validateFleetText(text: string, name: string): FleetFileLoad {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? `${name}:${pos.line}:${pos.col}` : name;
    const what = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    return { ok: false, message: `${where}: YAML syntax error: ${what}` };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    return { ok: false, message: `${name}: the file is empty; expected a mapping with at least \`nodes:\` (see README.md, "fleet.yaml reference").` };
  }
  const result = FleetFile.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, file: result.data };
  return { ok: false, message: formatIssues(name, result.error.issues) };
}

export function formatIssues(name: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, ISSUES_SHOWN_MAX).map((i) => `  ${keyPath(i.path)}: ${describeIssue(i)}`);
  const more = issues.length > ISSUES_SHOWN_MAX ? `\n  ...and ${issues.length - ISSUES_SHOWN_MAX} more` : "";
  return `${name} is not a valid fleet file:\n${lines.join("\n")}${more}`;
}

/** `nodes[2].persona`, as a user would point at it in the file. */
export function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 60) + "…" : s;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Number.isNaN(v)) return "a value that is not a number (NaN)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${shown(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping (key: value lines)",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

export function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(issue.path);
      return issue.keys
        .map((k) => {
          const near = closest(k, known);
          return `unknown key "${k}"` + (near ? `; did you mean "${near}"?` : known.length ? `; valid keys: ${known.join(", ")}` : "");
        })
        .join("; ");
    }
    case "invalid_type": {
      if (input === undefined) return `missing; expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      // Our own wording when the schema gave one (account as a quoted string).
      if (!issue.message.startsWith("Invalid input")) return `${issue.message}; got ${kindOf(input)}`;
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${kindOf(input)}`;
    }
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => String(v)).join(", ")}; got ${shown(input)}`;
    case "too_small":
      if (issue.origin === "array") return issue.message.startsWith("Too small") ? `needs at least ${String(issue.minimum)} item(s)` : issue.message;
      if (issue.origin === "string") return `must not be empty`;
      return `expected ${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}; got ${shown(input)}`;
    case "too_big":
      if (issue.origin === "array") return `at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === "string") return `at most ${String(issue.maximum)} characters`;
      return `expected at most ${String(issue.maximum)}; got ${shown(input)}`;
    case "invalid_format":
      return issue.message.startsWith("Invalid") ? `expected a ${issue.format}; got ${shown(input)}` : `${issue.message}; got ${shown(input)}`;
    case "custom":
      return issue.message;
    default:
      return issue.message;
  }
}

/** The keys the schema knows at an object path, for "did you mean". */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = FleetFile;
  for (const p of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? s.keyof().options.map(String) : [];
}

/** Through defaults, optionals and pipes to the schema that gives the value its shape. */
function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  // Bounded: a schema nests a handful of wrappers, never a cycle, but a bound costs nothing.
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
  return s;
}

/** The known key nearest to a typo, when it is near enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  // Beyond about a third of the word it is another word, not a typo.
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
