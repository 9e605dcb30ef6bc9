/**
 * Chromium through playwright-core (no browser download): Debian's /usr/bin/chromium or
 * $CHROMIUM_PATH. Without a Chromium the browser suites are skipped locally (pending, with
 * a warning) and fail in CI, where one is installed.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";

export const chromiumArgs = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium to drive, or undefined when there is none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return candidates.find((path) => existsSync(path));
}

export const installHint =
  "Install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) or point CHROMIUM_PATH at a Chromium/Chrome binary.";

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: chromiumArgs, timeout: 30000 });
}

/**
 * For a mocha `before` hook: the launched browser, or `this.skip()` (the suite shows as
 * pending) when no Chromium exists outside CI. In CI a missing Chromium is an error.
 */
export async function browserOrSkip(ctx: Mocha.Context, suite: string): Promise<Browser> {
  const path = findChromium();
  if (!path) {
    const where = process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist` : `none of ${candidates.join(", ")} exists`;
    if (process.env.CI) {
      throw new Error(`${suite}: no Chromium found (${where}); CI must install it. ${installHint}`);
    }
    console.warn(
      `\n  !!! SKIPPING ${suite}: no Chromium found (${where}).\n  !!! These browser tests did NOT run. ${installHint}\n`,
    );
    ctx.skip();
  }
  return launchChromium(path!);
}

/** Light scheme, no animation, commit-sized screenshots. */
export const contextOptions: BrowserContextOptions = {
  viewport: { width: 1000, height: 700 },
  colorScheme: "light",
  reducedMotion: "reduce",
  locale: "en-US",
  timezoneId: "UTC",
};

export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext(contextOptions);
}

/** Page errors and console errors, for failure messages. */
export function watchPage(page: Page, problems: string[]): void {
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console.error: ${message.text()}`);
  });
}
