/**
 * The README screenshots of the example chat: docs/example-connected.png (two people
 * chatting) and docs/example-reconnecting.png (the same page after the server went away).
 * Used by take-screenshots.ts and by a test that checks they can still be made.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ExampleServer } from "./browser-example-server.js";
import { newContext } from "./browser.js";
import { joinRoom, openChat, randomNumber, say, showRoom, waitForMessage, waitState } from "./browser-chat-page.js";

export interface Screenshots {
  connected: string;
  reconnecting: string;
}

export async function takeScreenshots(browser: Browser, outDir: string): Promise<Screenshots> {
  await mkdir(outDir, { recursive: true });
  const files = { connected: join(outDir, "example-connected.png"), reconnecting: join(outDir, "example-reconnecting.png") };
  const server = await ExampleServer.start();
  const context = await newContext(browser);
  try {
    const other = await openChat(context, server.url);
    const page = await openChat(context, server.url);
    await joinRoom(page, "anotherRoom");
    await showRoom(page, "defaultRoom");

    const lines: [typeof page, string][] = [
      [other, "Hi! Is anyone here?"],
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
    await server.stop("SIGKILL");
  }
  return files;
}
