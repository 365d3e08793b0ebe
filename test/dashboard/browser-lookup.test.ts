/**
 * Where the browser tests find a browser, and what they do where there is
 * none: skip with one line naming what to install, or fail under CI=true.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findBrowser } from "./browser.ts";

const ROOT = join(import.meta.dir, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "browser-lookup-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh folder holding the given files, relative to it; `exec` makes them executable. */
function layout(files: string[], exec = true): string {
  const dir = join(tmp, String(n++));
  for (const f of files) {
    const p = join(dir, f);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, "#!/bin/sh\n");
    chmodSync(p, exec ? 0o755 : 0o644);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface Case {
  name: string;
  files: string[];
  exec?: boolean;
  platform: NodeJS.Platform;
  /** Builds the environment from the layout's folder. */
  env: (dir: string) => Record<string, string>;
  /** Expected path relative to the folder, or null. */
  want: string | null;
  /** Part of the install hint when nothing is found. */
  hint?: string;
}

const CASES: Case[] = [
  { name: "CHROME_PATH wins over PATH", files: ["my/chrome", "bin/chromium"], platform: "linux", env: (d) => ({ CHROME_PATH: join(d, "my/chrome"), PATH: join(d, "bin") }), want: "my/chrome" },
  { name: "a CHROME_PATH that is not there is named, not replaced", files: ["bin/chromium"], platform: "linux", env: (d) => ({ CHROME_PATH: join(d, "nope"), PATH: join(d, "bin") }), want: null, hint: "CHROME_PATH=" },
  { name: "chromium on PATH", files: ["bin/chromium"], platform: "linux", env: (d) => ({ PATH: join(d, "bin") }), want: "bin/chromium" },
  { name: "chromium-browser (Ubuntu's name)", files: ["bin/chromium-browser"], platform: "linux", env: (d) => ({ PATH: join(d, "bin") }), want: "bin/chromium-browser" },
  { name: "google-chrome", files: ["bin/google-chrome"], platform: "linux", env: (d) => ({ PATH: join(d, "bin") }), want: "bin/google-chrome" },
  { name: "google-chrome-stable, in a later PATH folder", files: ["a/other", "b/google-chrome-stable"], platform: "linux", env: (d) => ({ PATH: `${join(d, "a")}:${join(d, "b")}` }), want: "b/google-chrome-stable" },
  { name: "chromium before google-chrome", files: ["bin/google-chrome", "bin/chromium-browser"], platform: "linux", env: (d) => ({ PATH: join(d, "bin") }), want: "bin/chromium-browser" },
  { name: "a file that is not executable is no browser", files: ["bin/chromium"], exec: false, platform: "linux", env: (d) => ({ PATH: join(d, "bin") }), want: null, hint: "apt install chromium" },
  { name: "Chrome in /Applications on macOS", files: ["Applications/Google Chrome.app/Contents/MacOS/Google Chrome"], platform: "darwin", env: () => ({ PATH: "" }), want: "Applications/Google Chrome.app/Contents/MacOS/Google Chrome" },
  { name: "Chromium in ~/Applications on macOS", files: ["home/Applications/Chromium.app/Contents/MacOS/Chromium"], platform: "darwin", env: (d) => ({ PATH: "", HOME: join(d, "home") }), want: "home/Applications/Chromium.app/Contents/MacOS/Chromium" },
  { name: "no macOS app folders on Linux", files: ["Applications/Google Chrome.app/Contents/MacOS/Google Chrome"], platform: "linux", env: () => ({ PATH: "" }), want: null, hint: "apt install chromium" },
  { name: "nothing on macOS", files: [], platform: "darwin", env: () => ({ PATH: "" }), want: null, hint: "google.com/chrome" },
];

describe("findBrowser", () => {
  test.each(CASES.map((c) => [c.name, c]))("%s", (_name, c) => {
    const dir = layout(c.files, c.exec ?? true);
    const part = findBrowser({ env: c.env(dir), platform: c.platform, root: dir });
    expect(part.found).toBe(c.want === null ? null : join(dir, c.want));
    if (c.hint !== undefined) expect(part.install).toContain(c.hint);
  });
});

/** `bun test` of the page's browser test on a machine with no browser at all. */
async function pageTestWithoutBrowser(ci: boolean): Promise<{ code: number; out: string }> {
  const env: Record<string, string> = { PATH: layout([]), HOME: layout([]), ...(ci ? { CI: "true" } : {}) };
  const proc = Bun.spawn([process.execPath, "test", "test/dashboard/page.test.ts"], {
    cwd: ROOT,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

describe("browser tests on a machine without a browser", () => {
  test("skip, saying in one line what to install", async () => {
    const r = await pageTestWithoutBrowser(false);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n").filter((l) => l.startsWith("skipping tests that need"));
    expect(lines).toEqual([expect.stringContaining("a Chrome or Chromium browser: install chromium")]);
    expect(r.out).toMatch(/\b0 fail\b/);
    expect(r.out).not.toMatch(/\(pass\) the page in a browser/);
  }, 30_000);

  test("fail under CI=true instead of passing by skipping", async () => {
    const r = await pageTestWithoutBrowser(true);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("required under CI=true");
  }, 30_000);
});
