import { describe, expect, test } from "bun:test";
import { runScale } from "../../src/bench/scale.ts";

describe("bench --scale", () => {
  test("one simulator process per size, each row from its own JSON report", () => {
    const lines: string[] = [];
    const rows = runScale({ sizes: [4, 6], minutes: 1, seed: "1" }, (l) => lines.push(l));
    expect(rows.map((r) => r.nodes)).toEqual([4, 6]);
    for (const r of rows) {
      expect(r.ok).toBe(true);
      expect(r.minutes).toBe(1);
      expect(r.messages).toBeGreaterThan(0);
      expect(r.maxRssMiB).toBeGreaterThan(0);
    }
    // The header, then one line per size.
    expect(lines).toHaveLength(3);
    expect(lines[1]!.trim().startsWith("4 ")).toBe(true);
  }, 60_000);
});
