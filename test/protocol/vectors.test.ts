import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "../../src/protocol/index.ts";

const VECTORS = join(import.meta.dir, "..", "..", "..", "shared", "vectors");
const lines = (file: string) =>
  readFileSync(join(VECTORS, file), "utf8").split("\n").filter((l) => l.trim() !== "");

describe("notebook vectors", () => {
  test.each(lines("notebook-messages.jsonl").map((l) => [JSON.parse(l).type, l]))("%s parses", (_type, line) => {
    const r = parse(line as string);
    if (!r.ok) throw new Error(r.detail);
    expect(r.message.type).toBe(JSON.parse(line as string).type);
  });
  test.each(lines("notebook-not-protocol.jsonl").map((l) => [l]))("%s is rejected by type", (line) => {
    const r = parse(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(["missing_type", "unknown_type"]).toContain(r.reason);
  });
});
