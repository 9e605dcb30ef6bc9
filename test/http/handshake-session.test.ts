/**
 * The Express session on the socket (the `handshake` option) with real express-session and
 * passport's local strategy: sign in over HTTP with cookies, then sockets over websocket
 * and long-polling see the session in `create`; the handshake middleware runs once per
 * socket; `next(err)` refuses the handshake with 401/403; logout ends the user's sockets;
 * a preProcessor refuses anonymous callers on the socket and on `/api`.
 */
import { expect } from "chai";
import { io } from "socket.io-client";
import WebSocket from "ws";
import type { RequestHandler } from "express";
import { RawIo, recordingLogger } from "../support/raw-io.js";
import { request } from "../support/http-request.js";
import { sparkFor } from "../support/spark-of.js";
import { cookieHeader, signIn, startSessionApp, type SessionApp } from "../support/session-app.js";
import type { ActionDefinition, Connection, HttpRequester } from "../../lib/index.js";

const transports = ["websocket", "polling"] as const;

/** A handshake middleware that refuses on request headers (x-ban: 403 with a message, x-fail: an error without status, x-answer: answers itself). */
const gatekeeper: RequestHandler = (req, res, next) => {
  if (req.headers["x-ban"]) return next(Object.assign(new Error("banned from sockets"), { status: 403 }));
  if (req.headers["x-fail"]) return next(new Error("session store unreachable"));
  if (req.headers["x-answer"]) return void res.status(401).json({ error: "nope" });
  next();
};

/** The signed-in user as the app keeps it: on the socket's connection, or on the HTTP request's session. */
function userOf(connection: Connection | HttpRequester): unknown {
  if (connection.type === "web") return (connection.rawConnection.req.session as { user?: string } | undefined)?.user;
  return connection.session.user;
}

const whoami: ActionDefinition = {
  name: "whoami",
  middleware: ["signed in"],
  run: ({ connection }) => ({ user: userOf(connection) }),
};

async function userOfSocket(app: SessionApp, client: RawIo): Promise<{ id: string; fingerprint: string; user: unknown }> {
  const details = await client.request({ event: "detailsView" }, `d${Math.random()}`);
  const { id, fingerprint } = details.data as { id: string; fingerprint: string };
  return { id, fingerprint, user: app.ws.connections.get(id)?.session.user };
}

describe("handshake: express-session on the socket", function () {
  this.timeout(20_000);
  let app: SessionApp;
  const log = recordingLogger();
  const clients: RawIo[] = [];

  before(async () => {
    app = await startSessionApp({ logger: log.logger, extraHandshake: [gatekeeper], actions: [whoami] });
    app.ws.actions.addMiddleware({
      name: "signed in",
      preProcessor: ({ connection }) => {
        if (!userOf(connection)) throw new Error("sign in first");
      },
    });
    app.ws.chatRoom.addMiddleware({
      name: "members only",
      join: (connection, room) => {
        if (room === "members" && !connection.session.user) throw new Error("sign in to join members");
      },
    });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => app?.close());

  const open = async (transport: "websocket" | "polling", cookie?: string) => {
    const client = await RawIo.open(app.url, { transport, extraHeaders: cookie ? { cookie } : {} });
    clients.push(client);
    return client;
  };

  for (const transport of transports) {
    it(`${transport}: create sees the signed-in session; the fingerprint cookie stays the fingerprint; the request drops the session after create`, async function () {
      const cookie = await signIn(app.url, "alice");
      expect(cookie).to.match(/connect\.sid=/).and.to.match(/sessionID=/);
      const fingerprint = /sessionID=([^;]+)/.exec(cookie)![1];
      const client = await open(transport, cookie);
      const seen = await userOfSocket(app, client);
      expect(seen.user).to.equal("alice");
      expect(seen.fingerprint).to.equal(fingerprint);
      const request = sparkFor(app.ws.connections.get(seen.id)!)!.request as unknown as Record<string, unknown>;
      expect(request.session).to.equal(undefined);
      expect(request.sessionID).to.equal(undefined);
      const anonymous = await open(transport);
      expect((await userOfSocket(app, anonymous)).user).to.equal(null);
    });
  }

  it("runs once per socket: on the polling handshake, not on each poll nor on the upgrade of that session", async function () {
    const cookie = await signIn(app.url, "carol");
    const before = app.handshakes();
    const socket = io(app.url, { path: "/primus", transports: ["polling", "websocket"], forceNew: true, reconnection: false, extraHeaders: { cookie } });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no upgrade within 5 s")), 5000);
        socket.io.engine.once("upgrade", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const polling = await open("polling", cookie);
      for (let i = 0; i < 5; i++) await polling.request({ event: "detailsView" }, `p${i}`);
      expect(app.handshakes() - before).to.equal(2);
    } finally {
      socket.disconnect();
    }
  });

  for (const [header, status, error] of [
    ["x-ban", 403, "banned from sockets"],
    ["x-fail", 401, "handshake refused"],
    ["x-answer", 401, "handshake refused"],
  ] as const) {
    it(`next(err) refuses (${header}): ${status} JSON on the polling handshake, an HTTP ${status} status line before the upgrade, a log line; others go on`, async function () {
      const polling = await request(`${app.url}/primus/?EIO=4&transport=polling`, { headers: { [header]: "1" } });
      expect(polling.status).to.equal(status);
      expect(polling.json()).to.deep.equal({ error });
      const upgrade = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}/primus/?EIO=4&transport=websocket`, { headers: { [header]: "1" } });
        socket.once("unexpected-response", (_req, res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        socket.once("open", () => reject(new Error("the upgrade was accepted")));
        socket.once("error", () => undefined);
      });
      expect(upgrade.status).to.equal(status);
      expect(JSON.parse(upgrade.body)).to.deep.equal({ error });
      const lines = log.find(/a handshake middleware refused a socket handshake/);
      expect(lines.length).to.be.at.least(2);
      expect(JSON.stringify(lines.at(-1)!.obj)).to.contain(`"status":${status}`);
      const fine = await open("websocket");
      expect((await userOfSocket(app, fine)).user).to.equal(null);
    });
  }

  it("logout ends every socket of that user (websocket and polling) and no one else's", async function () {
    const alice = await signIn(app.url, "alice");
    const bob = await signIn(app.url, "bob");
    const aliceSockets = [await open("websocket", alice), await open("polling", alice)];
    const bobSocket = await open("websocket", bob);
    for (const socket of aliceSockets) expect((await userOfSocket(app, socket)).user).to.equal("alice");
    const res = await fetch(`${app.url}/logout`, { method: "POST", headers: { cookie: alice }, signal: AbortSignal.timeout(5000) });
    expect(await res.json()).to.deep.equal({ user: "alice" });
    await Promise.all(aliceSockets.map((socket) => socket.closed(5000)));
    expect([...app.ws.connections.values()].some((c) => c.session.user === "alice")).to.equal(false);
    expect((await userOfSocket(app, bobSocket)).user).to.equal("bob");
    // A socket opened with the old cookie afterwards is anonymous: the session is gone.
    expect((await userOfSocket(app, await open("websocket", alice))).user).to.equal(null);
  });

  it("byFingerprint(fp).destroy() ends the sockets of one browser; bad selectors are a TypeError", async function () {
    const cookie = await signIn(app.url, "dave");
    const fingerprint = /sessionID=([^;]+)/.exec(cookie)![1];
    const sockets = [await open("websocket", cookie), await open("polling", cookie)];
    const other = await open("websocket");
    expect(app.ws.connections.byFingerprint(fingerprint).local).to.have.length(2);
    await app.ws.connections.byFingerprint(fingerprint).destroy();
    await Promise.all(sockets.map((socket) => socket.closed(5000)));
    expect(other.disconnected).to.equal(false);
    expect(() => app.ws.connections.byFingerprint("")).to.throw(TypeError, /fingerprint/);
    expect(() => app.ws.connections.bySession("__proto__", "x")).to.throw(TypeError, /session key/);
    expect(() => app.ws.connections.bySession("user", { id: 1 } as never)).to.throw(TypeError, /session value/);
  });

  for (const transport of transports) {
    it(`${transport}: a preProcessor refuses anonymous callers of a protected action, and a join middleware keeps them out of a room`, async function () {
      const anonymous = await open(transport);
      expect((await anonymous.request({ event: "action", params: { action: "whoami" } }, 1)).error).to.equal("sign in first");
      expect((await anonymous.request({ event: "roomAdd", room: "members" }, 2)).error).to.equal("Error: sign in to join members");
      const cookie = await signIn(app.url, "erin");
      const signedIn = await open(transport, cookie);
      expect((await signedIn.request({ event: "action", params: { action: "whoami" } }, 1)).user).to.equal("erin");
      expect((await signedIn.request({ event: "roomAdd", room: "members" }, 2)).status).to.equal("OK");
    });
  }

  it("/api: the same preProcessor refuses an anonymous request and serves a signed-in one", async function () {
    const anonymous = await request(`${app.url}/api/whoami`, { method: "POST" });
    expect(anonymous.status).to.equal(500);
    expect(anonymous.json().error).to.equal("sign in first");
    const cookie = await signIn(app.url, "frank");
    const signedIn = await request(`${app.url}/api/whoami`, { method: "POST", headers: { cookie } });
    expect(signedIn.status).to.equal(200);
    expect(signedIn.json().user).to.equal("frank");
  });
});

describe("handshake: passport's local strategy", function () {
  this.timeout(20_000);
  let app: SessionApp;
  const clients: RawIo[] = [];

  before(async () => {
    app = await startSessionApp({ passport: true });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => app?.close());

  for (const transport of transports) {
    it(`${transport}: create sees request.user from passport.session(); logout ends the sockets`, async function () {
      const cookie = await signIn(app.url, "alice", "wonderland");
      const client = await RawIo.open(app.url, { transport, extraHeaders: { cookie } });
      clients.push(client);
      const details = await client.request({ event: "detailsView" }, 1);
      const id = (details.data as { id: string }).id;
      expect(app.ws.connections.get(id)!.session.user).to.equal("alice");
      const res = await fetch(`${app.url}/logout`, { method: "POST", headers: { cookie }, signal: AbortSignal.timeout(5000) });
      expect(await res.json()).to.deep.equal({ user: "alice" });
      await client.closed(5000);
    });
  }

  it("a wrong password is refused over HTTP and its socket stays anonymous", async function () {
    const res = await fetch(`${app.url}/login/password`, { method: "POST", body: new URLSearchParams({ username: "alice", password: "guess" }), signal: AbortSignal.timeout(5000) });
    expect(res.status).to.equal(401);
    const cookie = cookieHeader(res);
    const client = await RawIo.open(app.url, { transport: "websocket", extraHeaders: cookie ? { cookie } : {} });
    clients.push(client);
    const details = await client.request({ event: "detailsView" }, 1);
    expect(app.ws.connections.get((details.data as { id: string }).id)!.session.user).to.equal(null);
  });
});
