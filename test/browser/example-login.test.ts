/**
 * Signing in to the example chat in a real Chromium: the sign-in form (no socket before
 * it), names on messages and on join/leave announcements, sign-out ending the sockets of
 * that browser only, anonymous /api callers refused, and a page whose session is gone
 * (restart on the in-memory store) refused and shown the form instead of retrying.
 */
import { expect } from "chai";
import type { Browser, BrowserContext } from "playwright-core";
import { browserOrSkip, newContext, watchPage } from "../support/browser.js";
import { ExampleServer } from "../support/browser-example-server.js";
import { chatInfo, click, openChat, say, shownView, signIn, userMessages, waitForMessage, waitReady } from "../support/browser-chat-page.js";

const SUITE = "browser tests of the example chat's sign-in";

describe(SUITE, function () {
  this.timeout(60_000);
  this.slow(10_000);
  let browser: Browser | undefined;
  let server: ExampleServer | undefined;
  const contexts: BrowserContext[] = [];
  let problems: string[] = [];

  async function aBrowser(): Promise<BrowserContext> {
    const context = await newContext(browser!);
    context.on("page", (page) => watchPage(page, problems));
    contexts.push(context);
    return context;
  }

  /** The chat announcements a page shows ("<name> joined <room>"). */
  const announcements = (page: import("playwright-core").Page) =>
    page.$$eval("#messages li.message.event .text", (nodes) => nodes.map((n) => n.textContent ?? ""));

  before(async function () {
    browser = await browserOrSkip(this, SUITE);
  });
  after(async function () {
    await browser?.close();
  });
  beforeEach(() => {
    problems = [];
  });
  afterEach(async function () {
    for (const context of contexts.splice(0)) await context.close();
    await server?.stop("SIGKILL");
    server = undefined;
    expect(problems.filter((p) => p.startsWith("pageerror")), "uncaught errors in the page").to.deep.equal([]);
  });

  it("the form comes first (no socket before it); names on messages and announcements; sign-out ends that browser's sockets only", async function () {
    server = await ExampleServer.start();
    const adaBrowser = await aBrowser();
    const page = await adaBrowser.newPage();
    const sockets: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/primus")) sockets.push(request.url());
    });
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(`${server.url}/`);
    expect(await shownView(page)).to.equal("signin");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sockets, "socket requests before signing in").to.deep.equal([]);

    // A blank name is refused with the server's reason.
    await page.fill("#signin-name", "   ");
    await click(page, "#signin-submit");
    await page.waitForFunction(() => document.getElementById("signin-error")?.textContent === "a name is required");

    await signIn(page, "Ada");
    await waitReady(page);
    expect(await page.textContent("#my-name")).to.equal("Ada");
    const secondTab = await openChat(adaBrowser, server.url);
    expect(await secondTab.textContent("#my-name"), "the second tab shares the session").to.equal("Ada");

    const grace = await openChat(await aBrowser(), server.url, "", "Grace");
    await page.waitForFunction(() => Array.from(document.querySelectorAll("#messages li.event .text")).some((n) => n.textContent === "Grace joined defaultRoom"));
    await say(grace, "hello Ada");
    await waitForMessage(page, "hello Ada");
    const shown = (await userMessages(page)).find((m) => m.text === "hello Ada")!;
    expect(shown.from).to.equal("Grace");
    expect(shown.fromId).to.equal((await chatInfo(grace)).id);

    // Sign out in one tab: both of Ada's tabs lose their sockets and show the form.
    await click(page, "#signout");
    await page.waitForSelector('body[data-view="signin"]', { state: "attached", timeout: 15_000 });
    await secondTab.waitForSelector('body[data-view="signin"]', { state: "attached", timeout: 15_000 });
    expect(await secondTab.textContent("#signin-error")).to.equal("You are signed out.");
    await grace.waitForFunction(() => Array.from(document.querySelectorAll("#messages li.event .text")).filter((n) => n.textContent === "Ada left defaultRoom").length === 2);
    expect((await chatInfo(grace)).state).to.equal("connected");
    expect(await announcements(grace)).to.not.include("Grace left defaultRoom");

    // Signed out, the protected action refuses this browser over HTTP too.
    const res = await adaBrowser.request.post(`${server.url}/api/randomNumber`);
    expect((await res.json()).error).to.equal("sign in first");
    const status = await server.getJson("/api/status");
    expect(status.connections, "only Grace's socket is left").to.equal(1);
  });

  it("a page whose session is gone (restart on the in-memory store) is refused: it shows the form and stops retrying", async function () {
    server = await ExampleServer.start();
    const context = await aBrowser();
    const page = await openChat(context, server.url, "", "Lin");
    const port = server.port;
    await server.stop("SIGTERM");
    server = await ExampleServer.start({ port });
    await page.waitForSelector('body[data-view="signin"]', { state: "attached", timeout: 30_000 });
    expect(await page.textContent("#signin-error")).to.equal("Your session has ended: sign in again.");
    expect(await page.evaluate(() => (window as unknown as { chatClient: { state: string } }).chatClient.state)).to.equal("refused");
    const requests: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/primus")) requests.push(request.url());
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(requests, "socket requests after the refusal").to.deep.equal([]);
    // Signing in again brings the chat back.
    await signIn(page, "Lin");
    await waitReady(page);
    expect(await page.textContent("#my-name")).to.equal("Lin");
  });
});
