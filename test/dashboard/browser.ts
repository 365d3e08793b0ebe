/**
 * A headless Chrome or Chromium already on the machine, driven by
 * playwright-core: no browser download, works offline. Found where people
 * keep one; where there is none the browser tests skip with one line (and
 * fail under CI=true, whose .ci/run installs Debian's chromium).
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { onPath, type OutsidePart } from "../support/outside.ts";

export const OUTPUT_DIR = join(import.meta.dir, "..", "..", "test-output");

/** Names of the browser on PATH, most specific first. */
export const BROWSER_COMMANDS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] as const;

/** Where macOS keeps the apps, under `/Applications` or `~/Applications`. */
export const MAC_APPS = [
  "Google Chrome.app/Contents/MacOS/Google Chrome",
  "Chromium.app/Contents/MacOS/Chromium",
] as const;

export interface BrowserLookup {
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  /** The file system root the macOS app folders hang from (a test's temp folder). */
  root?: string;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The browser to drive: `CHROME_PATH` when set (and then only it: a path
 * someone typed should not be silently replaced by another browser), else
 * the first of BROWSER_COMMANDS on PATH, else Chrome or Chromium in the
 * macOS app folders.
 */
export function findBrowser(o: BrowserLookup = {}): OutsidePart {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const root = o.root ?? "/";
  const part = { name: "a Chrome or Chromium browser" };
  const chromePath = env.CHROME_PATH;
  if (chromePath !== undefined && chromePath !== "") {
    return isExecutable(chromePath)
      ? { ...part, install: "", found: chromePath }
      : { ...part, install: `CHROME_PATH=${chromePath} is not an executable file; point it at one, or unset it`, found: null };
  }
  for (const name of BROWSER_COMMANDS) {
    const p = onPath(name, env);
    if (p !== null && isExecutable(p)) return { ...part, install: "", found: p };
  }
  if (platform === "darwin") {
    const folders = [join(root, "Applications"), ...(env.HOME ? [join(env.HOME, "Applications")] : [])];
    for (const folder of folders) {
      for (const app of MAC_APPS) {
        const p = join(folder, app);
        if (isExecutable(p)) return { ...part, install: "", found: p };
      }
    }
  }
  const how =
    platform === "darwin"
      ? "install Google Chrome (google.com/chrome), or set CHROME_PATH"
      : "install chromium (apt install chromium) or Google Chrome, or set CHROME_PATH";
  return { ...part, install: how, found: null };
}

/** The browser of this machine, looked up once per test process. */
export const BROWSER: OutsidePart = findBrowser();
/** The name the browser tests used while only Debian's Chromium was looked for. */
export const CHROMIUM = BROWSER;

export function launchChromium(): Promise<Browser> {
  if (BROWSER.found === null) throw new Error(`no browser: ${BROWSER.install}`);
  return chromium.launch({
    executablePath: BROWSER.found,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}
