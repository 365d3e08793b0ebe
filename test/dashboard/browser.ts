/** Headless Chromium from Debian's package, driven by playwright-core: no browser download, works offline. */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { OutsidePart } from "../support/outside.ts";

export const CHROMIUM_PATH = "/usr/bin/chromium";
/** For describeWith: the page tests skip with one line where Debian's Chromium is not installed. */
export const CHROMIUM: OutsidePart = {
  name: "Chromium",
  install: "apt-get install chromium (the tests drive /usr/bin/chromium)",
  found: existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : null,
};
export const OUTPUT_DIR = join(import.meta.dir, "..", "..", "test-output");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
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
