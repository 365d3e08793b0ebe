/**
 * The space-time diagram on its own, for a page that is one HTML file (the
 * checker's report): bundled into one script that sets
 * `globalThis.renderSpaceTime`, to be called from an inline script.
 */
import { renderSpaceTime } from "./spacetime.ts";

(globalThis as { renderSpaceTime?: typeof renderSpaceTime }).renderSpaceTime = renderSpaceTime;
