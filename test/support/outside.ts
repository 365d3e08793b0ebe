/**
 * Tests that need a part the README's two set-up lines do not install (a
 * browser, Python with boto3, moto's server). Where the part is missing such a
 * test skips, and says in one line what to install; under `CI=true` it must
 * run, so a missing part fails it instead of hiding it.
 */
import { describe } from "bun:test";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface OutsidePart {
  /** What it is, for the skip line: "Chromium", "python3 with boto3". */
  name: string;
  /** How to get it, for the skip line. */
  install: string;
  /** Where it was found (an executable path), or null. */
  found: string | null;
}

/** An executable on PATH, or null. */
export function onPath(name: string, env: Record<string, string | undefined> = process.env): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

const skipped = new Set<string>();

/**
 * `describe` when the part is there, else a skipped `describe` after one line
 * naming what to install (once per part and process). Under CI=true a missing
 * part is an error: the suite must not pass by skipping.
 */
export function describeWith(part: OutsidePart): typeof describe {
  if (part.found !== null) return describe;
  if (process.env.CI === "true") {
    throw new Error(`${part.name} is required under CI=true and was not found: ${part.install}`);
  }
  if (!skipped.has(part.name)) {
    skipped.add(part.name);
    console.log(`skipping tests that need ${part.name}: ${part.install}`);
  }
  return describe.skipIf(true) as typeof describe;
}

/**
 * python3 on PATH that can import every one of `modules` (boto3 comes with
 * Debian's python3-boto3 or `pip install boto3`).
 */
export function pythonWith(modules: readonly string[], env: Record<string, string | undefined> = process.env): OutsidePart {
  const name = modules.length === 0 ? "python3" : `python3 with ${modules.join(", ")}`;
  const install =
    modules.length === 0
      ? "install Python 3 (apt install python3, or python.org)"
      : `install Python 3 and ${modules.join(", ")} (apt install ${modules.map((m) => `python3-${m}`).join(" ")}, or pip install ${modules.join(" ")})`;
  const py = onPath("python3", env);
  if (py === null) return { name, install, found: null };
  if (modules.length === 0) return { name, install, found: py };
  const r = Bun.spawnSync([py, "-c", modules.map((m) => `import ${m}`).join("; ")], { stdout: "ignore", stderr: "ignore" });
  return { name, install, found: r.exitCode === 0 ? py : null };
}
