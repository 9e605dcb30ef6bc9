/**
 * The example chat app (example/) end to end in a real Chromium: the page, the generated
 * client, websocket and long-polling transports, the fingerprint cookie, the origin check,
 * reconnects after a server restart, destroyClientsOnShutdown, escaping, the .min.js client.
 *
 * The example server runs as a child process (`PORT=0 node example/server.js`), exactly as
 * a user starts it. Each test gets a fresh browser context (own cookies). Without Chromium
 * the suite is skipped locally (pending) and fails in CI; see support/browser.ts.
 */
import { expect } from "chai";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserOrSkip, newContext, watchPage } from "../support/browser.js";
import { ExampleServer } from "../support/browser-example-server.js";
import {
  DEFAULT_NAME,
  chatInfo,
  click,
  engineTransport,
  joinRoom,
  joinedRooms,
  openChat,
  randomNumber,
  say,
  showRoom,
  userMessages,
  waitForMessage,
  waitForMessages,
  waitReady,
  waitState,
  type ShownMessage,
} from "../support/browser-chat-page.js";
import { takeScreenshots } from "../support/browser-screenshots.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

const SUITE = "browser tests of the example chat";

let browser: Browser | undefined;
let context: BrowserContext;
let problems: string[] = [];

/** A token that keeps one test's messages apart from another's. */
function token(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** More browsers (contexts: own cookies, own session) of the current test. */
const others: BrowserContext[] = [];

/** Another browser for this test, closed after it; its page errors fail the test too. */
async function anotherBrowser(): Promise<BrowserContext> {
  const other = await newContext(browser!);
  other.on("page", (page) => watchPage(page, problems));
  others.push(other);
  return other;
}

/** Fresh context per test; page errors are collected and fail the test. */
function freshContextPerTest(): void {
  beforeEach(async function () {
    problems = [];
    context = await newContext(browser!);
    context.on("page", (page) => watchPage(page, problems));
  });
  afterEach(async function () {
    await context?.close();
    for (const other of others.splice(0)) await other.close();
    const pageErrors = problems.filter((p) => p.startsWith("pageerror"));
    expect(pageErrors, "uncaught errors in the page").to.deep.equal([]);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function expectMessageFrom(message: ShownMessage, senderId: string, text: string, name = DEFAULT_NAME): void {
  expect(message.text).to.equal(text);
  expect(message.fromId, `sender of "${text}"`).to.equal(senderId);
  expect(message.from, `shown sender of "${text}"`).to.equal(name);
  expect(message.time, `time of "${text}"`).to.match(/^\d{1,2}:\d{2}:\d{2}( [AP]M)?$/);
  const sentAt = Date.parse(message.datetime);
  expect(Math.abs(Date.now() - sentAt), `datetime ${message.datetime} of "${text}"`).to.be.below(60_000);
}

describe(SUITE, function () {
  this.timeout(60_000);
  this.slow(10_000);

  before(async function () {
    browser = await browserOrSkip(this, SUITE);
  });

  after(async function () {
    await browser?.close();
    browser = undefined;
  });

  describe("one running example server", function () {
    let server: ExampleServer;

    before(async function () {
      if (!browser) this.skip();
      server = await ExampleServer.start();
    });
    after(async function () {
      await server?.stop();
    });
    freshContextPerTest();

    it("(a) two people chat in defaultRoom: both pages show every message, in order, with the sender's name and time", async function () {
      const alice = await openChat(context, server.url, "", "alice");
      // Another browser: its own session, its own name.
      const bob = await openChat(await anotherBrowser(), server.url, "", "bob");
      const a = await chatInfo(alice);
      const b = await chatInfo(bob);
      expect(a.rooms).to.deep.equal(["defaultRoom"]);
      expect(b.rooms).to.deep.equal(["defaultRoom"]);
      expect(a.id).to.not.equal(b.id);
      expect(await alice.textContent("#current-room")).to.equal("defaultRoom");

      const t = token();
      // Turn by turn, each line seen by both pages before the next one is written...
      const turns: [Page, string][] = [
        [alice, `${t} hello bob`],
        [bob, `${t} hi alice`],
        [alice, `${t} how are you?`],
      ];
      for (const [page, text] of turns) {
        await say(page, text);
        await waitForMessage(alice, text);
        await waitForMessage(bob, text);
      }
      // ...then a burst from one page without waiting: the order must hold on both.
      const burst = [1, 2, 3, 4, 5].map((n) => `${t} burst ${n}`);
      for (const text of burst) await say(alice, text);
      await waitForMessages(alice, `${t} burst`, 5);
      await waitForMessages(bob, `${t} burst`, 5);

      const expected = [
        [a.id, turns[0][1], "alice"],
        [b.id, turns[1][1], "bob"],
        [a.id, turns[2][1], "alice"],
        ...burst.map((text) => [a.id, text, "alice"]),
      ];
      for (const [page, me] of [
        [alice, a.id],
        [bob, b.id],
      ] as const) {
        const shown = (await userMessages(page)).filter((m) => m.text.startsWith(t));
        expect(shown.map((m) => m.text)).to.deep.equal(expected.map(([, text]) => text));
        shown.forEach((m, i) => {
          expectMessageFrom(m, expected[i][0], expected[i][1], expected[i][2]);
          expect(m.room).to.equal("defaultRoom");
          expect(m.mine, `"${m.text}" marked as mine`).to.equal(expected[i][0] === me);
        });
      }
      // The join announcement of the second page reached the first one, with bob's name.
      const events = (await alice.$$eval("#messages li.message.event .text", (n) => n.map((e) => e.textContent))) as string[];
      expect(events).to.include("bob joined defaultRoom");
      // Both pages really run on a websocket.
      expect(await engineTransport(alice)).to.equal("websocket");
    });

    it("(b) ?transport=polling connects, joins, says, receives and runs an action over long-polling only", async function () {
      const poller = await context.newPage();
      const sockets: string[] = [];
      const pollRequests: string[] = [];
      poller.on("websocket", (ws) => sockets.push(ws.url()));
      poller.on("request", (request) => {
        if (request.url().includes("/primus/")) pollRequests.push(request.url());
      });
      await poller.goto(`${server.url}/?transport=polling`);
      await waitReady(poller);
      const p = await chatInfo(poller);
      expect(p.state).to.equal("connected");
      expect(p.rooms).to.deep.equal(["defaultRoom"]);
      expect(await poller.textContent("#my-id")).to.equal(p.id);

      // A websocket page for contrast: it does upgrade, so the checks below can tell.
      const walker = await context.newPage();
      const walkerSockets: string[] = [];
      walker.on("websocket", (ws) => walkerSockets.push(ws.url()));
      await walker.goto(`${server.url}/`);
      await waitReady(walker);
      const w = await chatInfo(walker);
      await walker.waitForFunction(() => {
        const c = (window as unknown as { chatClient: { client: { socket: { io: { engine: { transport: { name: string } } } } } } }).chatClient;
        return c.client.socket.io.engine.transport.name === "websocket";
      });
      expect(walkerSockets.length, "the websocket page opened a WebSocket").to.be.greaterThan(0);

      // join
      await joinRoom(poller, "anotherRoom");
      await joinRoom(walker, "anotherRoom");
      expect((await chatInfo(poller)).rooms.sort()).to.deep.equal(["anotherRoom", "defaultRoom"]);
      expect(await joinedRooms(poller)).to.deep.equal(["anotherRoom", "defaultRoom"]);

      // say and receive, both ways
      const t = token();
      await say(poller, `${t} from the polling page`);
      await waitForMessage(walker, `${t} from the polling page`);
      await waitForMessage(poller, `${t} from the polling page`);
      await say(walker, `${t} from the websocket page`);
      await waitForMessage(poller, `${t} from the websocket page`);
      const shown = (await userMessages(poller)).filter((m) => m.text.startsWith(t));
      expect(shown).to.have.length(2);
      expectMessageFrom(shown[0], p.id, `${t} from the polling page`);
      expectMessageFrom(shown[1], w.id, `${t} from the websocket page`);
      expect(shown.every((m) => m.room === "anotherRoom")).to.equal(true);

      // an action
      expect(await randomNumber(poller)).to.match(/^Your random number is 0\.\d+/);

      // and it stayed on polling the whole time: an upgrade would have happened by now
      await sleep(1500);
      expect(await engineTransport(poller)).to.equal("polling");
      expect(sockets, "WebSockets opened by the polling page").to.deep.equal([]);
      expect(pollRequests.length, "polling requests of the polling page").to.be.greaterThan(2);
      expect(pollRequests.every((url) => url.includes("transport=polling")), pollRequests.join("\n")).to.equal(true);
      expect((await chatInfo(poller)).state).to.equal("connected");
    });

    it("(c) the fingerprint the client reports is the sessionID cookie the context got over HTTP", async function () {
      // A plain HTTP request first: the middleware sets the cookie.
      const res = await context.request.get(`${server.url}/api/status`);
      expect(res.status()).to.equal(200);
      const cookies = await context.cookies(server.url);
      const cookie = cookies.find((c) => c.name === "sessionID");
      expect(cookie, `cookies: ${JSON.stringify(cookies)}`).to.not.equal(undefined);
      expect(cookie!.httpOnly).to.equal(true);
      expect(cookie!.sameSite).to.equal("Lax");
      expect(cookie!.value).to.match(/^[0-9a-f]{40}$/);

      const page = await openChat(context, server.url);
      const info = await chatInfo(page);
      expect(info.fingerprint).to.equal(cookie!.value);
      expect(await page.textContent("#fingerprint")).to.equal(cookie!.value);
      // HttpOnly: the page's script cannot read it (the fingerprint came from the server).
      expect(await page.evaluate(() => document.cookie)).to.not.include("sessionID");
      // Loading the page did not replace the cookie.
      const after = (await context.cookies(server.url)).filter((c) => c.name === "sessionID");
      expect(after.map((c) => c.value)).to.deep.equal([cookie!.value]);

      // Same browser, second tab: same fingerprint, new connection id.
      const second = await openChat(context, server.url);
      const info2 = await chatInfo(second);
      expect(info2.fingerprint).to.equal(cookie!.value);
      expect(info2.id).to.not.equal(info.id);

      // Another browser (context): another fingerprint.
      const other = await newContext(browser!);
      try {
        const stranger = await openChat(other, server.url);
        const info3 = await chatInfo(stranger);
        const otherCookie = (await other.cookies(server.url)).find((c) => c.name === "sessionID");
        expect(info3.fingerprint).to.equal(otherCookie?.value);
        expect(info3.fingerprint).to.not.equal(cookie!.value);
      } finally {
        await other.close();
      }
    });

    it("(d) a page on http://127.0.0.1 cannot open a socket to http://localhost (403, never connected)", async function () {
      const page = await context.newPage();
      const localhostAt = `http://localhost:${server.port}`;
      // A refused cross-origin XHR reaches Playwright only as a failed request (CORS), so
      // the HTTP status the server sent is read from the DevTools protocol.
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      const urls = new Map<string, string>();
      const statuses: { url: string; status: number }[] = [];
      cdp.on("Network.requestWillBeSent", (event) => urls.set(event.requestId, event.request.url));
      cdp.on("Network.responseReceivedExtraInfo", (event) => {
        const url = urls.get(event.requestId) ?? "";
        if (url.startsWith(`${localhostAt}/primus`)) statuses.push({ url, status: event.statusCode });
      });
      const logBefore = server.log.length;
      const refusals = () => server.log.slice(logBefore).split("refused a socket from another origin").length - 1;

      // The example page itself on 127.0.0.1: its own same-origin socket is fine.
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await waitReady(page);
      expect(refusals(), "the same-origin page was not refused").to.equal(0);

      await page.evaluate((url) => {
        const w = window as unknown as Record<string, unknown> & {
          ActionheroWebsocketClient: new (options: object) => {
            on(event: string, fn: (...args: unknown[]) => void): void;
            connect(): Promise<unknown>;
          };
        };
        const evil = new w.ActionheroWebsocketClient({ url });
        w.evil = evil;
        w.evilEvents = [];
        for (const event of ["connected", "welcome", "say", "reconnecting", "disconnected", "error"]) {
          evil.on(event, () => (w.evilEvents as string[]).push(event));
        }
        evil.connect().then(
          () => (w.evilResult = "connected"),
          (error: Error) => (w.evilResult = `failed: ${error.message}`),
        );
      }, localhostAt);

      // The server answers the cross-origin handshake with 403 and says so in its log.
      await page.waitForFunction(() => (window as unknown as { evilEvents: string[] }).evilEvents.includes("error"), undefined, {
        timeout: 10_000,
      });
      const deadline = Date.now() + 10_000;
      while (!(statuses.length && refusals()) && Date.now() < deadline) await sleep(100);
      expect(statuses.length, "answers to the cross-origin handshake").to.be.greaterThan(0);
      expect(statuses.map((s) => s.status), statuses.map((s) => s.url).join("\n")).to.satisfy((codes: number[]) => codes.every((c) => c === 403));
      expect(refusals()).to.be.greaterThan(0);
      expect(server.log.slice(logBefore)).to.include(`"origin":"http://127.0.0.1:${server.port}"`);

      // Give it time to retry: it never gets connected, never gets an id or a welcome.
      await sleep(2000);
      const evil = await page.evaluate(() => {
        const w = window as unknown as { evil: { state: string; id: string | null }; evilEvents: string[]; evilResult?: string };
        return { state: w.evil.state, id: w.evil.id, events: w.evilEvents, result: w.evilResult };
      });
      expect(evil.state).to.not.equal("connected");
      expect(evil.id).to.equal(null);
      expect(evil.events).to.not.include("connected");
      expect(evil.events).to.not.include("welcome");
      expect(evil.result ?? "pending").to.not.equal("connected");
      expect(statuses.every((s) => s.status === 403)).to.equal(true);
      await page.evaluate(() => (window as unknown as { evil: { disconnect(): void } }).evil.disconnect());

      // A bare WebSocket upgrade from this origin is refused as well (the upgrade path).
      const refusedBefore = refusals();
      const upgrade = await page.evaluate(
        (url) =>
          new Promise<{ opened: boolean; code: number }>((resolve) => {
            const socket = new WebSocket(url);
            let opened = false;
            socket.onopen = () => (opened = true);
            socket.onclose = (event) => resolve({ opened, code: event.code });
          }),
        `ws://localhost:${server.port}/primus/?EIO=4&transport=websocket`,
      );
      expect(upgrade).to.deep.equal({ opened: false, code: 1006 });
      const logDeadline = Date.now() + 5000;
      while (refusals() === refusedBefore && Date.now() < logDeadline) await sleep(50);
      expect(refusals(), "the server logged the refused upgrade").to.be.greaterThan(refusedBefore);

      // The page's own same-origin client is untouched.
      expect((await chatInfo(page)).state).to.equal("connected");
    });

    it("(g) an HTML/script payload is shown as literal text and never runs", async function () {
      const alice = await openChat(context, server.url);
      const bob = await openChat(context, server.url);
      const t = token();
      const payload = `${t} <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
      await say(alice, payload);
      await waitForMessage(alice, payload);
      await waitForMessage(bob, payload);
      await sleep(300); // an injected <img> would have fired onerror by now

      for (const page of [alice, bob]) {
        const shown = (await userMessages(page)).filter((m) => m.text.startsWith(t));
        expect(shown.map((m) => m.text)).to.deep.equal([payload]);
        expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
        expect(await page.locator("#messages img, #messages script").count()).to.equal(0);
        const html = await page.locator("#messages li.message:not(.event) .text").last().innerHTML();
        expect(html).to.include("&lt;img");
      }
    });

    it("(h) ?min=1 loads the minified client and chats like the normal page", async function () {
      const scripts: string[] = [];
      context.on("request", (request) => {
        if (request.url().includes("/public/javascript/")) scripts.push(new URL(request.url()).pathname + new URL(request.url()).search);
      });
      const minPage = await openChat(context, server.url, "?min=1");
      expect(scripts).to.deep.equal(["/public/javascript/ActionheroWebsocketClient.min.js"]);
      const normal = await openChat(context, server.url);
      expect(scripts).to.deep.equal(["/public/javascript/ActionheroWebsocketClient.min.js", "/public/javascript/ActionheroWebsocketClient.js"]);

      const [minJs, fullJs] = await Promise.all(
        ["ActionheroWebsocketClient.min.js", "ActionheroWebsocketClient.js"].map(async (file) => {
          const res = await fetch(`http://127.0.0.1:${server.port}/public/javascript/${file}`);
          return res.text();
        }),
      );
      expect(minJs.length).to.be.below(fullJs.length * 0.8);

      const m = await chatInfo(minPage);
      expect(m.state).to.equal("connected");
      expect(m.fingerprint).to.match(/^[0-9a-f]{40}$/);
      expect(await engineTransport(minPage)).to.be.oneOf(["polling", "websocket"]);
      const n = await chatInfo(normal);
      const t = token();
      await say(minPage, `${t} from min`);
      await waitForMessage(normal, `${t} from min`);
      await say(normal, `${t} to min`);
      await waitForMessage(minPage, `${t} to min`);
      const shown = (await userMessages(minPage)).filter((x) => x.text.startsWith(t));
      expectMessageFrom(shown[0], m.id, `${t} from min`);
      expectMessageFrom(shown[1], n.id, `${t} to min`);
      expect(await randomNumber(minPage)).to.match(/^Your random number is 0\.\d+/);
      await joinRoom(minPage, "anotherRoom");
      expect((await chatInfo(minPage)).rooms.sort()).to.deep.equal(["anotherRoom", "defaultRoom"]);
    });

    it("(i) a page that joins later shows the room's last messages (room history), in order", async function () {
      const alice = await openChat(context, server.url, "", "alice");
      const t = token();
      const said = [1, 2, 3].map((n) => `${t} earlier ${n}`);
      for (const text of said) await say(alice, text);
      await waitForMessages(alice, `${t} earlier`, 3);
      const bob = await openChat(await anotherBrowser(), server.url, "", "bob");
      await waitForMessages(bob, `${t} earlier`, 3);
      const shown = (await userMessages(bob)).filter((m) => m.text.startsWith(t));
      expect(shown.map((m) => m.text)).to.deep.equal(said);
    });
  });

  describe("an example server of its own per test", function () {
    let server: ExampleServer | undefined;
    const servers: ExampleServer[] = [];

    async function start(options: Parameters<typeof ExampleServer.start>[0] = {}): Promise<ExampleServer> {
      const started = await ExampleServer.start(options);
      servers.push(started);
      return started;
    }

    // Restarts keep the pages signed in only where sessions outlive the process: Redis.
    let redis: RedisServer | undefined;
    const onRedis = (env: Record<string, string> = {}) => ({ REDIS_URL: redis!.url, ...env });

    before(async function () {
      if (!browser) this.skip();
      redis = await startRedisServer();
    });
    after(async function () {
      await redis?.stop();
    });
    afterEach(async function () {
      for (const s of servers.splice(0)) await s.stop("SIGKILL");
      server = undefined;
    });
    freshContextPerTest();

    it("(e) after a restart the page shows reconnecting, reconnects by itself (its session is in Redis) and is back in its rooms", async function () {
      server = await start({ env: onRedis() });
      const alice = await openChat(context, server.url);
      const bob = await openChat(context, server.url);
      await joinRoom(alice, "anotherRoom");
      await joinRoom(bob, "anotherRoom");
      await showRoom(alice, "defaultRoom");
      await showRoom(bob, "defaultRoom");
      const before = await chatInfo(alice);
      expect(before.rooms.sort()).to.deep.equal(["anotherRoom", "defaultRoom"]);

      const port = server.port;
      await server.stop("SIGTERM");
      expect(server.log).to.include("SIGTERM received");

      await waitState(alice, "reconnecting", 10_000);
      expect(await alice.isVisible("#banner")).to.equal(true);
      expect(await alice.textContent("#banner")).to.include("reconnecting");
      expect(await alice.isDisabled("#message-input")).to.equal(true);
      expect((await chatInfo(alice)).state).to.equal("reconnecting");
      // still reconnecting while nothing listens
      await sleep(1000);
      expect(await alice.getAttribute("#state", "data-state")).to.equal("reconnecting");

      server = await start({ port, env: onRedis() });
      await waitState(alice, "connected", 30_000);
      await waitState(bob, "connected", 30_000);
      expect(await alice.isHidden("#banner")).to.equal(true);

      const after = await chatInfo(alice);
      expect(after.id, "a new connection on the new server").to.not.equal(before.id);
      expect(after.fingerprint, "same browser, same fingerprint").to.equal(before.fingerprint);
      expect(after.rooms.sort()).to.deep.equal(["anotherRoom", "defaultRoom"]);
      await alice.waitForFunction(() => document.querySelectorAll("#rooms li.room.joined").length === 2);
      expect(await joinedRooms(alice)).to.deep.equal(["anotherRoom", "defaultRoom"]);
      expect(await alice.textContent("#current-room")).to.equal("defaultRoom");
      expect(await alice.locator("#messages li.notice", { hasText: "Reconnected as" }).count()).to.equal(1);

      // The new server really has it in both rooms: it gets what bob says there.
      const b = await chatInfo(bob);
      const t = token();
      await say(bob, `${t} after the restart`);
      await waitForMessage(alice, `${t} after the restart`);
      const shown = (await userMessages(alice)).filter((m) => m.text.startsWith(t));
      expectMessageFrom(shown[0], b.id, `${t} after the restart`);
      expect(shown[0].room).to.equal("defaultRoom");

      await showRoom(bob, "anotherRoom");
      await say(bob, `${t} in anotherRoom`);
      await showRoom(alice, "anotherRoom");
      await waitForMessage(alice, `${t} in anotherRoom`);
      // and it can talk again
      await say(alice, `${t} alice is back`);
      await waitForMessage(bob, `${t} alice is back`);
    });

    it("(j) with the default room history a page back from a restart shows what was said meanwhile on another node, and a 'messages caught up' line", async function () {
      server = await start({ env: onRedis() });
      const other = await start({ env: onRedis() });
      const alice = await openChat(context, server.url, "", "alice");
      const bob = await openChat(await anotherBrowser(), other.url, "", "bob");
      const t = token();
      await say(bob, `${t} before`);
      await waitForMessage(alice, `${t} before`);

      const port = server.port;
      await server.stop("SIGTERM");
      await waitState(alice, "reconnecting", 10_000);
      const missed = [1, 2, 3].map((n) => `${t} missed ${n}`);
      for (const text of missed) await say(bob, text);
      server = await start({ port, env: onRedis() });
      await waitState(alice, "connected", 30_000);
      await waitForMessages(alice, `${t} missed`, 3);
      const shown = (await userMessages(alice)).filter((m) => m.text.startsWith(t)).map((m) => m.text);
      expect(shown).to.deep.equal([`${t} before`, ...missed]);
      // what was said meanwhile includes the example's own announcements (alice left, joined)
      const caughtUp = alice.locator("#messages li.notice", { hasText: "messages caught up." }).first();
      await caughtUp.waitFor({ timeout: 5_000 }).catch(async () => {
        throw new Error(`no 'messages caught up' line; notices: ${JSON.stringify(await alice.locator("#messages li.notice").allTextContents())}`);
      });
      const count = Number(/Reconnected — (\d+) messages caught up\./.exec(String(await caughtUp.textContent()))?.[1]);
      expect(count, "messages caught up").to.be.at.least(missed.length);
    });

    it("(f) with destroyClientsOnShutdown the page shows it was closed and does not retry", async function () {
      server = await start({ env: onRedis({ DESTROY_CLIENTS_ON_SHUTDOWN: "true" }) });
      const page = await context.newPage();
      const socketRequests: string[] = [];
      page.on("request", (request) => {
        if (request.url().includes("/primus")) socketRequests.push(request.url());
      });
      page.on("websocket", (ws) => socketRequests.push(ws.url()));
      await page.goto(`${server.url}/`);
      await waitReady(page);
      const before = await chatInfo(page);
      const events: string[] = await page.evaluate(() => {
        const w = window as unknown as { chatClient: { on(e: string, fn: () => void): void }; seen: string[] };
        w.seen = [];
        for (const e of ["reconnecting", "disconnected", "reconnect"]) w.chatClient.on(e, () => w.seen.push(e));
        return w.seen;
      });
      expect(events).to.deep.equal([]);

      const port = server.port;
      await server.stop("SIGTERM");
      await waitState(page, "disconnected", 10_000);
      expect(await page.isVisible("#banner")).to.equal(true);
      expect(await page.textContent("#banner-text")).to.equal("Disconnected.");
      expect(await page.isVisible("#reconnect"), "the 'Connect again' button").to.equal(true);
      expect(await page.isDisabled("#message-input")).to.equal(true);

      // A server is back on the same port, but the page does not come back by itself.
      server = await start({ port, env: onRedis({ DESTROY_CLIENTS_ON_SHUTDOWN: "true" }) });
      const requestsAtClose = socketRequests.length;
      await sleep(4000); // Primus' first retries come after ~0.5-2 s
      expect(socketRequests.slice(requestsAtClose), "socket requests after the server closed the page").to.deep.equal([]);
      expect(await page.getAttribute("#state", "data-state")).to.equal("disconnected");
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      expect(seen).to.include("disconnected");
      expect(seen).to.not.include("reconnecting");
      expect(seen).to.not.include("reconnect");
      const status = await server.getJson("/api/status");
      expect(status.connections, "connections on the new server").to.equal(0);

      // The user can reconnect explicitly, and lands in defaultRoom again.
      await click(page, "#reconnect");
      await waitState(page, "connected", 15_000);
      const after = await chatInfo(page);
      expect(after.id).to.not.equal(before.id);
      expect(after.rooms).to.deep.equal(["defaultRoom"]);
      expect(await page.isHidden("#banner")).to.equal(true);
    });

    it("(c) with COOKIE_SECRET the fingerprint is the value inside the signed sessionID cookie", async function () {
      server = await start({ env: { COOKIE_SECRET: "browser-test-secret" } });
      await context.request.get(`${server.url}/api/status`);
      const cookie = (await context.cookies(server.url)).find((c) => c.name === "sessionID");
      expect(cookie, "the sessionID cookie").to.not.equal(undefined);
      // cookie-signature format, URL-encoded: s:<fingerprint>.<base64 HMAC>
      const signed = decodeURIComponent(cookie!.value);
      const match = /^s:([0-9a-f]{40})\.[A-Za-z0-9+/]+$/.exec(signed);
      expect(match, `signed cookie ${signed}`).to.not.equal(null);

      const page = await openChat(context, server.url);
      expect((await chatInfo(page)).fingerprint).to.equal(match![1]);
      expect(await page.textContent("#fingerprint")).to.equal(match![1]);
    });

    it("the screenshots of docs/ can be regenerated (1000x700 PNGs)", async function () {
      const dir = await mkdtemp(join(tmpdir(), "actionhero-ws-screens-"));
      try {
        const files = await takeScreenshots(browser!, dir);
        for (const file of [files.signin, files.connected, files.reconnecting]) {
          const png = await readFile(file);
          expect(png.subarray(1, 4).toString("latin1")).to.equal("PNG");
          expect([png.readUInt32BE(16), png.readUInt32BE(20)]).to.deep.equal([1000, 700]);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
