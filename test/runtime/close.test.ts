/**
 * Lifecycle: graceful `close()` in both `destroyClientsOnShutdown` modes (reliability §2
 * row 20), and the ways to bind to the http server: `attach()`, `actionheroWs({ server })`,
 * `http.createServer(app)`, and the lazy attach on the first HTTP request.
 */
import { expect } from "chai";
import express from "express";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EventEmitter } from "node:events";
import { actionheroWs, type ActionheroWs, type ActionheroWsOptions, type Logger } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { RawClient, socketClass, sleep, type Frame } from "../support/primus-client.js";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { request } from "../support/http-request.js";
import { upgradeStatus } from "../support/raw-io.js";

type PrimusSocket = EventEmitter & { write(d: unknown): boolean; end(): void };

/**
 * A Primus Node client with Primus's own reconnect strategy on (the test clients in
 * support/ turn it off), recording a timeline of frames and lifecycle events.
 */
class ReconnectingClient {
  readonly timeline: string[] = [];
  readonly rawStrings: string[] = [];
  readonly frames: Frame[] = [];
  private constructor(readonly socket: PrimusSocket) {
    socket.on("incoming::data", (raw: unknown) => {
      if (typeof raw === "string") this.rawStrings.push(raw);
    });
    socket.on("data", (data: unknown) => {
      if (typeof data !== "object" || data === null) return;
      const frame = data as Frame;
      this.frames.push(frame);
      if (frame.context === "response") this.timeline.push(`response:${String(frame.messageId)}`);
    });
    for (const event of ["open", "close", "end", "reconnect scheduled", "reconnect"]) {
      socket.on(event, () => this.timeline.push(event));
    }
  }

  static async open(ts: TestServer, polling: boolean): Promise<ReconnectingClient> {
    const Socket = socketClass(ts.ws);
    // A long first retry delay: the test sees "reconnect scheduled" and ends the client
    // before any attempt is made.
    const socket = new Socket(ts.url, {
      strategy: "disconnect,online",
      reconnect: { min: 5000, max: 10000, retries: 2 },
      websockets: !polling,
    }) as unknown as PrimusSocket;
    const client = new ReconnectingClient(socket);
    await client.waitFor(() => client.frames.some((f) => typeof f.welcome === "string"), "welcome");
    return client;
  }

  /** Polls `test` every 10 ms, up to `timeoutMs`. */
  async waitFor(test: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; timeline: ${this.timeline.join(", ")}; raw: ${this.rawStrings.join(" | ").slice(0, 400)}`);
      await sleep(10);
    }
  }

  send(frame: Frame): void {
    this.socket.write(frame);
  }

  end(): void {
    this.socket.end();
  }
}

async function waitUntil(test: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const destroyClientsOnShutdown of [true, false]) {
  describe(`close() with destroyClientsOnShutdown: ${destroyClientsOnShutdown}`, function () {
    let ts: TestServer;
    const clients: ReconnectingClient[] = [];
    beforeEach(async () => {
      ts = await startTestServer({ destroyClientsOnShutdown });
    });
    afterEach(async () => {
      for (const client of clients.splice(0)) client.end();
      await ts.close();
    });

    for (const polling of [false, true]) {
      const transport = polling ? "polling" : "websocket";
      if (destroyClientsOnShutdown) {
        it(`a ${transport} client gets primus::server::close, ends and does not reconnect`, async () => {
          const client = await ReconnectingClient.open(ts, polling);
          clients.push(client);
          await ts.ws.close();
          await client.waitFor(() => client.timeline.includes("end"), "end");
          expect(client.rawStrings).to.include(JSON.stringify("primus::server::close"));
          await sleep(300);
          expect(client.timeline).to.not.include("reconnect scheduled");
          expect(client.timeline.filter((e) => e === "end")).to.have.length(1);
        });
      } else {
        it(`a ${transport} client gets no close frame and schedules a reconnect`, async () => {
          const client = await ReconnectingClient.open(ts, polling);
          clients.push(client);
          await ts.ws.close();
          await client.waitFor(() => client.timeline.includes("reconnect scheduled"), "reconnect scheduled");
          expect(client.rawStrings.some((s) => s.includes("primus::server::close"))).to.equal(false);
          expect(client.timeline).to.not.include("end");
          expect(client.timeline.indexOf("close")).to.be.below(client.timeline.indexOf("reconnect scheduled"));
        });
      }
    }

    it("leaves the http server listening and serving the app; no connection remains", async () => {
      const a = await RawClient.open(ts.ws, ts.url);
      const b = await RawClient.open(ts.ws, ts.url, { polling: true });
      await a.request({ event: "roomAdd", room: "defaultRoom" });
      expect(ts.ws.connections.size).to.equal(2);
      await ts.ws.close();
      expect(ts.ws.connections.size).to.equal(0);
      expect(ts.ws.stats().connections).to.equal(0);
      expect(ts.server.listening).to.equal(true);
      const hello = await request(`${ts.url}/hello`);
      expect(hello.status).to.equal(200);
      expect(hello.json()).to.deep.equal({ hello: "world" });
      // Primus is gone from the server: its paths fall through to the app
      expect((await request(`${ts.url}/primus/spec`)).status).to.equal(404);
      // actions over HTTP answer that the server is shutting down
      const api = await request(`${ts.url}/api/randomNumber`);
      expect(api.status).to.equal(503);
      expect(api.json().error).to.equal("the server is shutting down");
      a.close();
      b.close();
    });

    it("is idempotent: every call returns the same promise", async () => {
      const first = ts.ws.close();
      const second = ts.ws.close({ timeoutMs: 1 });
      expect(second).to.equal(first);
      await first;
      expect(ts.ws.close()).to.equal(first);
    });

    for (const polling of [false, true]) {
      it(`lets an in-flight action finish and deliver its reply before ending the ${polling ? "polling" : "websocket"} socket`, async () => {
        const client = await ReconnectingClient.open(ts, polling);
        clients.push(client);
        client.send({ event: "action", params: { action: "sleepTest", sleepDuration: 300 }, messageId: "inflight" });
        await waitUntil(() => ts.ws.stats().actionsInFlight === 1, "the action to start");
        const started = Date.now();
        await ts.ws.close();
        expect(Date.now() - started).to.be.at.least(200);
        const ending = destroyClientsOnShutdown ? "end" : "reconnect scheduled";
        await client.waitFor(() => client.timeline.includes(ending), ending);
        const reply = client.frames.find((f) => f.messageId === "inflight");
        expect(reply, "the reply").to.not.equal(undefined);
        expect(reply!.error).to.equal(undefined);
        expect(reply!.sleepDuration).to.equal(300);
        expect(client.timeline.indexOf("response:inflight")).to.be.below(client.timeline.indexOf("close"));
      });
    }

    it("refuses new sockets (websocket and polling) while it drains, and new actions on open ones", async () => {
      const client = await ReconnectingClient.open(ts, false);
      clients.push(client);
      client.send({ event: "action", params: { action: "sleepTest", sleepDuration: 600 }, messageId: "long" });
      await waitUntil(() => ts.ws.stats().actionsInFlight === 1, "the action to start");
      const closing = ts.ws.close();
      for (const transport of ["websocket", "polling"] as const) {
        let refused: unknown;
        try {
          const late = await RawSocketIo.open(ts.url, transport);
          late.close();
        } catch (error) {
          refused = error;
        }
        expect(refused, `a new ${transport} socket during close`).to.be.instanceOf(Error);
      }
      // A websocket-only client (no polling handshake first) is told why: 503.
      expect((await upgradeStatus(ts.port, undefined)).status, "a bare upgrade during close").to.equal(503);
      client.send({ event: "action", params: { action: "randomNumber" }, messageId: "late" });
      await client.waitFor(() => client.frames.some((f) => f.messageId === "late"), "the late reply", 2000);
      expect(client.frames.find((f) => f.messageId === "late")!.error).to.equal("the server is shutting down");
      await closing;
      const ending = destroyClientsOnShutdown ? "end" : "reconnect scheduled";
      await client.waitFor(() => client.timeline.includes(ending), ending);
      const long = client.frames.find((f) => f.messageId === "long");
      expect(long, "the long action's reply").to.not.equal(undefined);
      expect(long!.error).to.equal(undefined);
      expect(ts.ws.connections.size).to.equal(0);
    });
  });
}

/** Express app + actionheroWs on 127.0.0.1; `attach` decides how the two meet. */
interface Rig {
  app: express.Express;
  ws: ActionheroWs;
  server: Server;
  url: string;
  warnings: string[];
  close(): Promise<void>;
}

function quietLogger(warnings: string[]): Logger {
  return { debug() {}, info() {}, error() {}, warn: (obj, msg) => void warnings.push(msg ?? String(obj)) };
}

async function rig(build: (app: express.Express, options: ActionheroWsOptions) => { ws: ActionheroWs; server: Server }): Promise<Rig> {
  const app = express();
  const warnings: string[] = [];
  const { ws, server } = build(app, { actions: allTestActions, clientJsName: null, logger: quietLogger(warnings) });
  app.get("/hello", (_req, res) => {
    res.json({ hello: "world" });
  });
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  await ws.ready();
  return {
    app,
    ws,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    warnings,
    async close() {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function detailsOver(ws: ActionheroWs, url: string, polling = false): Promise<Frame> {
  const client = await RawClient.open(ws, url, { polling });
  try {
    return await client.request({ event: "detailsView" });
  } finally {
    client.close();
  }
}

describe("attaching to the http server", function () {
  const rigs: Rig[] = [];
  const others: Server[] = [];
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.close();
    for (const s of others.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  it("attach() is idempotent for the same server and throws for another one", async () => {
    const r = await rig((app, options) => {
      const ws = actionheroWs(options);
      app.use(ws);
      const server = app.listen(0, "127.0.0.1");
      return { ws, server };
    });
    rigs.push(r);
    expect(r.ws.primus).to.equal(undefined);
    expect(r.ws.attach(r.server)).to.equal(r.ws);
    const primus = r.ws.primus;
    expect(primus).to.not.equal(undefined);
    const listeners = { request: r.server.listeners("request").length, upgrade: r.server.listeners("upgrade").length };
    expect(listeners.upgrade, "Primus listens for upgrades").to.be.above(0);
    expect(r.ws.attach(r.server)).to.equal(r.ws);
    expect(r.ws.primus).to.equal(primus);
    expect({ request: r.server.listeners("request").length, upgrade: r.server.listeners("upgrade").length }, "nothing bound twice").to.deep.equal(listeners);
    const other = http.createServer();
    others.push(other);
    expect(() => r.ws.attach(other)).to.throw(Error, /already attached to another server/);
    expect(() => r.ws.attach({} as Server)).to.throw(TypeError, /needs an http or https server/);
    expect((await detailsOver(r.ws, r.url)).status).to.equal("OK");
    expect(r.warnings).to.deep.equal([]);
  });

  it("actionheroWs({ server }) attaches at construction (http.createServer(app) pattern)", async () => {
    const r = await rig((app, options) => {
      const server = http.createServer(app);
      const ws = actionheroWs({ ...options, server });
      expect(ws.primus, "attached before listen()").to.not.equal(undefined);
      app.use(ws);
      server.listen(0, "127.0.0.1");
      return { ws, server };
    });
    rigs.push(r);
    expect(r.ws.options.server.pathname).to.equal("/primus");
    expect(r.ws.attach(r.server)).to.equal(r.ws);
    for (const polling of [false, true]) expect((await detailsOver(r.ws, r.url, polling)).status).to.equal("OK");
    expect((await request(`${r.url}/hello`)).json()).to.deep.equal({ hello: "world" });
    expect((await request(`${r.url}/api/randomNumber`)).status).to.equal(200);
    expect(r.warnings).to.deep.equal([]);
  });

  it("http.createServer(app) with attach() after listen()", async () => {
    const r = await rig((app, options) => {
      const ws = actionheroWs(options);
      app.use(ws);
      const server = http.createServer(app);
      server.listen(0, "127.0.0.1", () => ws.attach(server));
      return { ws, server };
    });
    rigs.push(r);
    await waitUntil(() => r.ws.primus !== undefined, "attach");
    expect((await detailsOver(r.ws, r.url)).status).to.equal("OK");
    expect((await request(`${r.url}/hello`)).status).to.equal(200);
  });

  it("attaches lazily on the first plain HTTP request, warns once, then serves sockets", async () => {
    const r = await rig((app, options) => {
      const ws = actionheroWs(options);
      app.use(ws);
      return { ws, server: app.listen(0, "127.0.0.1") };
    });
    rigs.push(r);
    expect(r.ws.primus).to.equal(undefined);
    const first = await request(`${r.url}/hello`);
    expect(first.status).to.equal(200);
    expect(first.json()).to.deep.equal({ hello: "world" });
    expect(r.ws.primus).to.not.equal(undefined);
    expect(r.warnings).to.have.length(1);
    expect(r.warnings[0]).to.match(/attached lazily/);
    for (const polling of [false, true]) expect((await detailsOver(r.ws, r.url, polling)).status).to.equal("OK");
    await request(`${r.url}/hello`);
    expect(r.warnings).to.have.length(1);
  });

  it("attaches lazily when the very first request is a polling handshake", async () => {
    const r = await rig((app, options) => {
      const ws = actionheroWs(options);
      app.use(ws);
      return { ws, server: app.listen(0, "127.0.0.1") };
    });
    rigs.push(r);
    const client = await RawSocketIo.open(r.url, "polling");
    try {
      const reply = await client.request({ event: "detailsView", messageId: 1 });
      expect(reply.status).to.equal("OK");
      expect(r.ws.connections.size).to.equal(1);
    } finally {
      client.close();
    }
    expect(r.warnings).to.have.length(1);
  });

  it("close() without ever attaching resolves and leaves the server alone", async () => {
    const r = await rig((app, options) => {
      const ws = actionheroWs(options);
      app.use(ws);
      return { ws, server: app.listen(0, "127.0.0.1") };
    });
    rigs.push(r);
    await r.ws.close();
    expect(r.server.listening).to.equal(true);
    expect((await request(`${r.url}/hello`)).status).to.equal(200);
    expect(r.ws.primus, "no lazy attach after close()").to.equal(undefined);
  });
});
