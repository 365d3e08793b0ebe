/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for the
 * tests: it throws on the first line a scraper would reject or misread, and
 * returns every sample by its series key `name{a="x",b="y"}` (labels sorted).
 */
export interface Parsed {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|NaN|[+-]Inf)$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Parsed {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a line feed");
  const out: Parsed = { types: new Map(), help: new Map(), samples: new Map() };
  const closed = new Set<string>(); // families whose samples ended: another sample of theirs would split them
  let current: string | null = null;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        if (out.types.has(name)) throw new Error(`${where}: second TYPE`);
        if (out.samples.size > 0 && [...out.samples.keys()].some((k) => familyOf(k) === name)) throw new Error(`${where}: TYPE after samples`);
        out.types.set(name, rest);
      } else {
        if (out.help.has(name)) throw new Error(`${where}: second HELP`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`${where}: bad escape in HELP`);
        out.help.set(name, rest);
      }
      return;
    }
    if (line.trim() === "") throw new Error(`${where}: blank line`);
    const { name, labels, rest } = readSeries(line, where);
    const parts = rest.split(" ");
    if (parts.length < 1 || parts.length > 2 || !VALUE.test(parts[0]!)) throw new Error(`${where}: bad value`);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
    const type = out.types.get(name);
    if (!type) throw new Error(`${where}: sample before its TYPE`);
    if (name !== current) {
      if (current) closed.add(current);
      if (closed.has(name)) throw new Error(`${where}: samples of ${name} are split`);
      current = name;
    }
    const key = seriesKey(name, labels);
    if (out.samples.has(key)) throw new Error(`${where}: duplicate series`);
    const value = Number(parts[0]!.replace("Inf", "Infinity"));
    if (type === "counter" && !(value >= 0)) throw new Error(`${where}: counter below zero`);
    out.samples.set(key, value);
  });
  return out;
}

function readSeries(line: string, where: string): { name: string; labels: Record<string, string>; rest: string } {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`${where}: no metric name`);
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === "{") {
    i += 1;
    while (line[i] !== "}") {
      const eq = line.indexOf("=", i);
      if (eq < 0) throw new Error(`${where}: label without =`);
      const label = line.slice(i, eq);
      if (!LABEL_NAME.test(label)) throw new Error(`${where}: bad label name ${label}`);
      if (label in labels) throw new Error(`${where}: label ${label} twice`);
      if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
      let value = "";
      let j = eq + 2;
      for (;;) {
        const c = line[j];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') break;
        if (c === "\\") {
          const e = line[j + 1];
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else throw new Error(`${where}: bad escape \\${e}`);
          j += 2;
        } else {
          value += c;
          j += 1;
        }
      }
      labels[label] = value;
      i = j + 1;
      if (line[i] === ",") i += 1;
      else if (line[i] !== "}") throw new Error(`${where}: expected , or }`);
    }
    i += 1;
  }
  if (line[i] !== " ") throw new Error(`${where}: expected one space before the value`);
  return { name, labels, rest: line.slice(i + 1) };
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  const body = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");
  return `${name}{${body}}`;
}

function familyOf(key: string): string {
  return key.slice(0, key.indexOf("{"));
}
