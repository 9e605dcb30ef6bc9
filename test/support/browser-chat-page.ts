/** Driving the example chat page (example/public) through its DOM, as a user would. */
import type { BrowserContext, Page } from "playwright-core";

export interface ShownMessage {
  /** data-from: the sender's connection id ("0" for the server). */
  fromId: string;
  /** .from: what the page shows as sender (the sender's name, or "server"). */
  from: string;
  /** .time text and its datetime attribute. */
  time: string;
  datetime: string;
  text: string;
  room: string;
  mine: boolean;
  event: boolean;
}

export interface ChatInfo {
  id: string;
  fingerprint: string;
  state: string;
  rooms: string[];
}

const consoleLines = new WeakMap<Page, string[]>();

/** Keeps the page's last console lines and errors for failure messages. */
export function recordConsole(page: Page): void {
  if (consoleLines.has(page)) return;
  const lines: string[] = [];
  consoleLines.set(page, lines);
  const push = (line: string) => {
    lines.push(line);
    if (lines.length > 30) lines.shift();
  };
  page.on("console", (message) => push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request) => push(`requestfailed: ${request.failure()?.errorText} ${request.url()}`));
}

/** What the page looks like now, for a failure message. */
export async function describePage(page: Page): Promise<string> {
  const state = await page
    .evaluate(() => {
      const client = (window as unknown as { chatClient?: { state?: string; id?: string; rooms?: string[] } }).chatClient;
      return JSON.stringify({
        url: location.href,
        ready: document.body.dataset.ready ?? null,
        shownState: document.getElementById("state")?.dataset.state ?? null,
        banner: document.getElementById("banner")?.hidden ? null : document.getElementById("banner")?.textContent?.trim(),
        client: client ? { state: client.state, id: client.id, rooms: client.rooms } : null,
        lastEntries: Array.from(document.querySelectorAll("#messages li")).slice(-5).map((li) => li.textContent),
      });
    })
    .catch((error: Error) => `(page not readable: ${error.message})`);
  return `${state}\n${(consoleLines.get(page) ?? []).join("\n")}`;
}

/** The name pages sign in with unless a test gives one (pages of one context share it). */
export const DEFAULT_NAME = "tester";

/**
 * Opens the chat page, signs in with `name` if the page asks (a context signed in before
 * goes straight to the chat), and waits until it is connected and in defaultRoom.
 */
export async function openChat(context: BrowserContext, url: string, query = "", name = DEFAULT_NAME): Promise<Page> {
  const page = await context.newPage();
  recordConsole(page);
  await page.goto(`${url}/${query}`);
  await waitReady(page, 20000, name);
  return page;
}

/** Waits for the page to show the sign-in form or the chat: "signin" or "chat". */
export async function shownView(page: Page, timeout = 20000): Promise<string> {
  await page.waitForSelector('body[data-view="signin"], body[data-view="chat"]', { state: "attached", timeout });
  return (await page.getAttribute("body", "data-view")) ?? "";
}

/** Fills in the sign-in form and waits for the chat view the page reloads into. */
export async function signIn(page: Page, name: string, timeout = 20000): Promise<void> {
  await page.fill("#signin-name", name);
  await click(page, "#signin-submit");
  await page.waitForSelector('body[data-view="chat"]', { state: "attached", timeout });
}

/** Waits until the page is connected and ready, signing in with `name` first if it asks. */
export async function waitReady(page: Page, timeout = 20000, name = DEFAULT_NAME): Promise<void> {
  recordConsole(page);
  try {
    if ((await shownView(page, timeout)) === "signin") await signIn(page, name, timeout);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout });
    await waitState(page, "connected", timeout);
  } catch (error) {
    throw new Error(`the chat page did not get ready: ${(error as Error).message}\n${await describePage(page)}`);
  }
}

/**
 * Clicks like a user. The page is brought to the front first: Chromium throttles
 * requestAnimationFrame in background tabs, and Playwright's "stable element" check
 * waits on it (~2 s per click otherwise when several pages are open).
 */
export async function click(page: Page, selector: string): Promise<void> {
  await page.bringToFront();
  await page.click(selector);
}

/** Waits for #state[data-state=<state>] (the header badge). */
export async function waitState(page: Page, state: string, timeout = 15000): Promise<void> {
  try {
    await page.waitForSelector(`#state[data-state="${state}"]`, { state: "attached", timeout });
  } catch (error) {
    throw new Error(`the chat page did not show "${state}": ${(error as Error).message}\n${await describePage(page)}`);
  }
}

export function chatInfo(page: Page): Promise<ChatInfo> {
  return page.evaluate(() => {
    const client = (window as unknown as { chatClient: { id: string; fingerprint: string; state: string; rooms: string[] } }).chatClient;
    return { id: client.id, fingerprint: client.fingerprint, state: client.state, rooms: [...client.rooms] };
  });
}

/** Every entry of #messages that is a chat message (user messages and join/leave events). */
export function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.$$eval("#messages li.message", (items) =>
    items.map((li) => {
      const el = li as HTMLElement;
      const part = (selector: string) => el.querySelector(selector);
      return {
        fromId: el.dataset.from ?? "",
        from: part(".from")?.textContent ?? "",
        time: part(".time")?.textContent ?? "",
        datetime: part(".time")?.getAttribute("datetime") ?? "",
        text: part(".text")?.textContent ?? "",
        room: el.dataset.room ?? "",
        mine: el.classList.contains("mine"),
        event: el.classList.contains("event"),
      };
    }),
  );
}

/** The user messages (no join/leave announcements). */
export async function userMessages(page: Page): Promise<ShownMessage[]> {
  return (await shownMessages(page)).filter((m) => !m.event);
}

/** Types into the composer and presses Send. */
export async function say(page: Page, text: string): Promise<void> {
  await page.waitForSelector("#message-input:not([disabled])", { timeout: 10000 });
  await page.fill("#message-input", text);
  await click(page, "#send");
}

/** Waits until the page shows a user message whose text is exactly `text`. */
export async function waitForMessage(page: Page, text: string, timeout = 10000): Promise<void> {
  try {
    await page.waitForFunction(
      (wanted) => Array.from(document.querySelectorAll("#messages li.message:not(.event) .text")).some((n) => n.textContent === wanted),
      text,
      { timeout },
    );
  } catch (error) {
    throw new Error(`the page never showed the message ${JSON.stringify(text)}: ${(error as Error).message}\n${await describePage(page)}`);
  }
}

/** Waits until the page shows at least `count` user messages containing `marker`. */
export async function waitForMessages(page: Page, marker: string, count: number, timeout = 10000): Promise<void> {
  await page.waitForFunction(
    ([m, n]) =>
      Array.from(document.querySelectorAll("#messages li.message:not(.event) .text")).filter((el) => (el.textContent ?? "").includes(m as string))
        .length >= (n as number),
    [marker, count] as const,
    { timeout },
  );
}

/** Clicks a room's Join button and waits until the page lists it as joined and current. */
export async function joinRoom(page: Page, room: string): Promise<void> {
  await click(page, `#rooms li.room[data-room="${room}"] .join`);
  await page.waitForSelector(`#rooms li.room.joined[data-room="${room}"]`, { state: "attached", timeout: 10000 });
  await page.waitForFunction((r) => document.getElementById("current-room")?.textContent === r, room, { timeout: 10000 });
}

/** Makes `room` the room shown (it must be joined). */
export async function showRoom(page: Page, room: string): Promise<void> {
  await click(page, `#rooms li.room[data-room="${room}"] .room-name`);
  await page.waitForFunction((r) => document.getElementById("current-room")?.textContent === r, room, { timeout: 10000 });
}

/** Rooms the sidebar marks as joined. */
export function joinedRooms(page: Page): Promise<string[]> {
  return page.$$eval("#rooms li.room.joined", (items) => items.map((li) => (li as HTMLElement).dataset.room ?? "").sort());
}

/** Clicks "Random number" and returns what #random-result shows. */
export async function randomNumber(page: Page): Promise<string> {
  await page.evaluate(() => {
    document.getElementById("random-result")!.textContent = "";
  });
  await click(page, "#random");
  await page.waitForFunction(() => (document.getElementById("random-result")?.textContent ?? "") !== "", undefined, { timeout: 10000 });
  return (await page.textContent("#random-result")) ?? "";
}

/** The engine.io transport the page's socket runs on ("polling" / "websocket"). */
export function engineTransport(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const client = (window as unknown as { chatClient: { client?: { socket?: { io?: { engine?: { transport?: { name?: string } } } } } } })
      .chatClient;
    return client.client?.socket?.io?.engine?.transport?.name;
  });
}
