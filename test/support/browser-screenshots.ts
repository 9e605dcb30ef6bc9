/**
 * The README screenshots of the example chat: docs/example-signin.png (the sign-in form),
 * docs/example-connected.png (two signed-in people chatting) and
 * docs/example-reconnecting.png (the same page after the server went away).
 * Used by take-screenshots.ts and by a test that checks they can still be made.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ExampleServer } from "./browser-example-server.js";
import { newContext } from "./browser.js";
import { joinRoom, openChat, randomNumber, say, showRoom, shownView, waitForMessage, waitReady, waitState } from "./browser-chat-page.js";

export interface Screenshots {
  signin: string;
  connected: string;
  reconnecting: string;
}

export async function takeScreenshots(browser: Browser, outDir: string): Promise<Screenshots> {
  await mkdir(outDir, { recursive: true });
  const files = {
    signin: join(outDir, "example-signin.png"),
    connected: join(outDir, "example-connected.png"),
    reconnecting: join(outDir, "example-reconnecting.png"),
  };
  const server = await ExampleServer.start();
  // Two browsers: two sessions, two names.
  const otherContext = await newContext(browser);
  const context = await newContext(browser);
  try {
    const other = await openChat(otherContext, server.url, "", "Grace");
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await shownView(page);
    await page.fill("#signin-name", "Ada");
    await page.screenshot({ path: files.signin });
    await waitReady(page, 20000, "Ada");
    await joinRoom(page, "anotherRoom");
    await showRoom(page, "defaultRoom");

    const lines: [typeof page, string][] = [
      [other, "Hi Ada! Is anyone else here?"],
      [page, "Hello! This message went over a websocket."],
      [other, "Open the page with ?transport=polling to use HTTP long-polling instead."],
      [page, "Try <b>markup</b>: it is shown as text, never as HTML."],
    ];
    for (const [who, text] of lines) {
      await say(who, text);
      await waitForMessage(page, text);
    }
    await randomNumber(page);
    await page.bringToFront();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()); // no focus ring
    await page.screenshot({ path: files.connected });

    await server.stop("SIGTERM");
    await waitState(page, "reconnecting");
    await page.waitForSelector("#banner:not([hidden])");
    await page.screenshot({ path: files.reconnecting });
  } finally {
    await context.close();
    await otherContext.close();
    await server.stop("SIGKILL");
  }
  return files;
}
