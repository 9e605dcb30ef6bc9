/**
 * Regenerates the example screenshots in docs/ with the same Chromium as the browser tests:
 *
 *   npx tsc -p tsconfig.json && node dist/test/browser/take-screenshots.js [outDir]
 *
 * (CHROMIUM_PATH overrides /usr/bin/chromium.) Viewport 1000x700, light scheme.
 */
import { resolve } from "node:path";
import { findChromium, installHint, launchChromium } from "../support/browser.js";
import { repoRoot } from "../support/browser-example-server.js";
import { takeScreenshots } from "../support/browser-screenshots.js";

const outDir = resolve(process.argv[2] ?? resolve(repoRoot, "docs"));
const chromiumPath = findChromium();
if (!chromiumPath) {
  console.error(`no Chromium found. ${installHint}`);
  process.exit(1);
}
const browser = await launchChromium(chromiumPath);
try {
  const files = await takeScreenshots(browser, outDir);
  console.log(`wrote ${files.signin}\nwrote ${files.connected}\nwrote ${files.reconnecting}`);
} finally {
  await browser.close();
}
