/**
 * The page's TypeScript (client/main.ts with uPlot and cytoscape from
 * node_modules) bundled with Bun.build on first request and kept: the fleet
 * may run offline, so nothing is fetched from a CDN.
 */
import { join } from "node:path";

const CLIENT_DIR = join(import.meta.dir, "client");

export interface Bundle {
  ok: boolean;
  /** The script, or the build's messages when it failed. */
  text: string;
}

const pending = new Map<string, Promise<Bundle>>();

export function clientBundle(): Promise<Bundle> {
  return bundleOf("main.ts");
}

/**
 * The space-time diagram alone, as one script that sets
 * `globalThis.renderSpaceTime` (see client/spacetime.ts): for a page that
 * must be a single file, inline it in a `<script>` and call
 * `renderSpaceTime(host, records, opts)` after it.
 */
export function spaceTimeBundle(): Promise<Bundle> {
  return bundleOf("spacetime-global.ts");
}

function bundleOf(entry: string): Promise<Bundle> {
  let p = pending.get(entry);
  if (!p) {
    p = build(entry);
    pending.set(entry, p);
  }
  return p;
}

async function build(entry: string): Promise<Bundle> {
  try {
    const result = await Bun.build({ entrypoints: [join(CLIENT_DIR, entry)], target: "browser", minify: true });
    const output = result.outputs[0];
    if (!result.success || !output) {
      pending.delete(entry); // a later request may succeed once the file is fixed
      return { ok: false, text: result.logs.map(String).join("\n") };
    }
    return { ok: true, text: await output.text() };
  } catch (err) {
    pending.delete(entry);
    return { ok: false, text: String(err) };
  }
}

/** Files the page loads as they are: its HTML and CSS, and uPlot's stylesheet from the package. */
export const STATIC_FILES: Record<string, { path: () => string; type: string }> = {
  "/": { path: () => join(CLIENT_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/style.css": { path: () => join(CLIENT_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/assets/uplot.css": { path: () => Bun.resolveSync("uplot/dist/uPlot.min.css", import.meta.dir), type: "text/css; charset=utf-8" },
};
