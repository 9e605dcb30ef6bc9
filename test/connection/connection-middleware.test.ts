/**
 * Connection middleware (`ws.connections.addMiddleware`): `create` runs before the welcome
 * with the handshake request, on websocket and long-polling; a throw refuses the connection
 * (one `refused` frame, close 1008 "refused", nothing left behind, the generated client
 * stays refused); frames sent meanwhile wait, bounded; `destroy` runs once however the
 * connection ends.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawEngineWs, RawIo, sleep, waitUntil, type Frame } from "../support/raw-io.js";
import { FAST_RECONNECT, startClientServer, type ClientTestServer } from "../support/node-client.js";
import { actionheroWs, type Connection, type HandshakeRequest } from "../../lib/index.js";

const isWelcome = (f: Frame) => typeof f.welcome === "string";

/** A promise and its resolver, for holding `create` open. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("connection middleware", function () {
  this.timeout(20_000);
  let ts: TestServer;
  const clients: Array<{ close(): void }> = [];
  const opened: string[] = [];

  before(async () => {
    ts = await startTestServer({ limits: { framesWhileOpening: 5 } });
    ts.ws.on("connection", (connection) => opened.push(connection.id));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    for (const name of ts.ws.connections.middlewareNames()) ts.ws.connections.removeMiddleware(name);
  });
  after(async () => ts?.close());

  for (const transport of ["websocket", "polling"] as const) {
    it(`${transport}: create gets the connection and the handshake request before the welcome; frames sent meanwhile run after it, in order`, async function () {
      const seen: Array<{ id: string; header: unknown; registered: boolean }> = [];
      ts.ws.connections.addMiddleware({
        name: "slow",
        create: async (connection: Connection, request: HandshakeRequest) => {
          await sleep(300);
          seen.push({ id: connection.id, header: request.headers["x-app"], registered: ts.ws.connections.has(connection.id) });
        },
      });
      const client = await RawIo.open(ts.url, { transport, extraHeaders: { "x-app": "from the handshake" }, noWelcome: true });
      clients.push(client);
      client.send({ event: "roomAdd", room: "defaultRoom", messageId: 1 });
      client.send({ event: "detailsView", messageId: 2 });
      await client.next((f) => f.messageId === 1);
      await client.next((f) => f.messageId === 2);
      expect(seen).to.have.length(1);
      expect(seen[0].header).to.equal("from the handshake");
      expect(seen[0].registered, "registered only after create").to.equal(false);
      expect(client.frames.findIndex(isWelcome)).to.equal(0);
      expect(client.frames.slice(1).every((f) => f.status === "OK")).to.equal(true);
      const details = await client.request({ event: "detailsView" }, 3);
      expect((details.data as { rooms: string[] }).rooms).to.deep.equal(["defaultRoom"]);
      expect(opened).to.include(seen[0].id);
    });
  }

  it("frames beyond limits.framesWhileOpening get an error at once; those that waited run after create", async function () {
    const held = gate();
    ts.ws.connections.addMiddleware({ name: "gate", create: () => held.opened });
    const client = await RawEngineWs.open(ts.port, { noWelcome: true });
    clients.push({ close: () => client.terminate() });
    for (let i = 1; i <= 8; i++) client.sendPrimus({ event: "detailsView", messageId: i });
    await waitUntil(() => client.frames.length >= 3, 5000, "three refusals");
    expect(client.frames.map((f) => f.messageId)).to.deep.equal([6, 7, 8]);
    for (const frame of client.frames) expect(String(frame.error)).to.match(/not open yet.*at most 5 frames wait/);
    held.open();
    await waitUntil(() => client.frames.length >= 9, 5000, "the welcome and five answers");
    expect(client.frames.slice(3).map((f) => f.messageId ?? "welcome")).to.deep.equal(["welcome", 1, 2, 3, 4, 5]);
    expect(client.frames.slice(4).every((f) => f.status === "OK")).to.equal(true);
  });

  it("a throw refuses: one refused frame, close 1008 'refused', nothing it sent ran, nothing remains; destroy runs only for creates that completed", async function () {
    const destroyed: string[] = [];
    let refusedId = "";
    ts.ws.connections.addMiddleware({ name: "first", priority: 10, create: () => undefined, destroy: (c) => void destroyed.push(`first:${c.id}`) });
    ts.ws.connections.addMiddleware({
      name: "auth",
      priority: 20,
      create: async (connection) => {
        refusedId = connection.id;
        await sleep(200);
        throw new Error("sign in first");
      },
      destroy: (c) => void destroyed.push(`auth:${c.id}`),
    });
    const before = ts.ws.stats();
    const client = await RawEngineWs.open(ts.port, { noWelcome: true });
    clients.push({ close: () => client.terminate() });
    client.sendPrimus({ event: "roomAdd", room: "defaultRoom", messageId: 1 });
    client.sendPrimus({ event: "say", room: "defaultRoom", message: "sneaked in", messageId: 2 });
    expect(await client.closed(5000)).to.equal(1008);
    expect(client.closeReason).to.equal("refused");
    expect(client.frames).to.deep.equal([{ context: "api", event: "refused", error: "sign in first" }]);
    expect(ts.ws.connections.has(refusedId)).to.equal(false);
    expect(ts.ws.connections.size).to.equal(0);
    expect(opened).to.not.include(refusedId);
    expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount).to.equal(0);
    expect(ts.ws.stats().connections).to.deep.equal(before.connections);
    await waitUntil(() => destroyed.length > 0, 2000, "destroy of the first middleware");
    await sleep(100);
    expect(destroyed).to.deep.equal([`first:${refusedId}`]);
  });

  it("polling: the refused frame, then Primus's close; the socket ends", async function () {
    ts.ws.connections.addMiddleware({ name: "auth", create: () => { throw new Error("no session"); } });
    const client = await RawIo.open(ts.url, { transport: "polling", noWelcome: true });
    clients.push(client);
    await client.closed(5000);
    expect(client.frames).to.deep.equal([{ context: "api", event: "refused", error: "no session" }]);
    expect(client.controls).to.include("primus::server::close");
    expect(ts.ws.connections.size).to.equal(0);
  });

  it("a client that leaves while create runs is never registered; destroy runs once for the completed creates", async function () {
    const held = gate();
    const destroyed: string[] = [];
    let id = "";
    ts.ws.connections.addMiddleware({ name: "a", priority: 1, create: (c) => void (id = c.id), destroy: (c) => void destroyed.push(`a:${c.id}`) });
    ts.ws.connections.addMiddleware({ name: "b", priority: 2, create: () => held.opened, destroy: (c) => void destroyed.push(`b:${c.id}`) });
    const client = await RawEngineWs.open(ts.port, { noWelcome: true });
    await waitUntil(() => id !== "", 5000, "create to start");
    client.terminate();
    await sleep(200);
    held.open();
    await waitUntil(() => destroyed.length > 0, 5000, "destroy");
    await sleep(100);
    expect(destroyed).to.deep.equal([`a:${id}`, `b:${id}`]);
    expect(ts.ws.connections.has(id)).to.equal(false);
    expect(opened).to.not.include(id);
  });

  for (const [how, end] of [
    ["the client closes", (client: RawIo) => client.close()],
    ["the server destroys it", (_client: RawIo, connection: Connection) => void connection.destroy()],
    ["the client sends quit", (client: RawIo) => client.send({ event: "quit" })],
  ] as const) {
    it(`destroy runs once when ${how}, after the connection left its rooms`, async function () {
      const calls: Array<{ id: string; rooms: readonly string[] }> = [];
      ts.ws.connections.addMiddleware({ name: "track", destroy: (c) => void calls.push({ id: c.id, rooms: c.rooms }) });
      const client = await RawIo.open(ts.url);
      clients.push(client);
      const { data } = await client.request({ event: "detailsView" }, "d");
      const id = (data as { id: string }).id;
      await client.request({ event: "roomAdd", room: "defaultRoom" }, "r");
      end(client, ts.ws.connections.get(id)!);
      await waitUntil(() => calls.length > 0, 5000, "destroy");
      await sleep(200);
      expect(calls).to.deep.equal([{ id, rooms: [] }]);
    });
  }

  it("names, priorities and malformed definitions", function () {
    const order: string[] = [];
    ts.ws.connections.addMiddleware({ name: "late", priority: 300, create: () => void order.push("late") });
    ts.ws.connections.addMiddleware({ name: "early", priority: 5, create: () => void order.push("early") });
    ts.ws.connections.addMiddleware({ name: "default", destroy: () => undefined });
    expect(ts.ws.connections.middlewareNames()).to.deep.equal(["early", "default", "late"]);
    expect(ts.ws.connections.removeMiddleware("default")).to.equal(true);
    expect(ts.ws.connections.removeMiddleware("default")).to.equal(false);
    const add = (definition: unknown) => () => ts.ws.connections.addMiddleware(definition as never);
    expect(add({})).to.throw(TypeError, /needs a name/);
    expect(add(null)).to.throw(TypeError, /needs a name/);
    expect(add({ name: "x" })).to.throw(TypeError, /needs a create or a destroy/);
    expect(add({ name: "x", create: "no" })).to.throw(TypeError, /create must be a function/);
    expect(add({ name: "x", create: () => 1, priority: "high" })).to.throw(TypeError, /priority must be a number/);
    // The options that come with it.
    expect(() => actionheroWs({ handshake: ["not a function"] as never })).to.throw(TypeError, /"handshake" must be an array of Express middleware/);
    expect(() => actionheroWs({ handshake: (() => undefined) as never })).to.throw(TypeError, /"handshake"/);
    expect(() => actionheroWs({ limits: { framesWhileOpening: 0 } })).to.throw(TypeError, /"limits.framesWhileOpening" must be a positive integer/);
  });
});

describe("connection middleware: the generated client, server close and reaping", function () {
  this.timeout(20_000);
  let cs: ClientTestServer;

  beforeEach(async () => {
    cs = await startClientServer({ server: { pingInterval: 300 } });
  });
  afterEach(async () => cs?.close());

  it("a refused client emits error, goes to state 'refused' and does not reconnect by itself", async function () {
    let attempts = 0;
    cs.ws.connections.addMiddleware({ name: "auth", create: () => { attempts++; throw new Error("sign in first"); } });
    const client = cs.create({ reconnect: FAST_RECONNECT });
    const errors: Array<Error & { refused?: boolean }> = [];
    client.on("error", (error) => errors.push(error));
    const failure = await client.connect().then(() => undefined, (error: Error) => error);
    expect(failure?.message).to.equal("sign in first");
    expect(client.state).to.equal("refused");
    expect(errors.map((e) => [e.message, e.refused])).to.deep.equal([["sign in first", true]]);
    // FAST_RECONNECT would have retried several times within this.
    await sleep(1500);
    expect(attempts).to.equal(1);
    expect(client.state).to.equal("refused");
    // connect() again (after signing in) is the app's call.
    cs.ws.connections.removeMiddleware("auth");
    await client.connect();
    expect(client.state).to.equal("connected");
  });

  it("destroy runs once for every connection when the server closes, and for a reaped one", async function () {
    const destroyed: string[] = [];
    cs.ws.connections.addMiddleware({ name: "track", destroy: (c) => void destroyed.push(c.id) });
    const a = await cs.connect();
    const reaped = await RawEngineWs.open(cs.port);
    const reapedId = [...cs.ws.connections.keys()].find((id) => id !== a.id)!;
    // Stop answering pings: the heartbeat reaps it within about two ping intervals.
    reaped.ws.removeAllListeners("message");
    await waitUntil(() => destroyed.includes(reapedId), 8000, "the reaped connection's destroy");
    await cs.ws.close({ timeoutMs: 1000 });
    await waitUntil(() => destroyed.includes(a.id!), 5000, "destroy on close");
    expect(destroyed.sort()).to.deep.equal([a.id, reapedId].sort());
    reaped.terminate();
  });
});
