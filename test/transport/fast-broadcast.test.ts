/**
 * Room broadcasts encoded once (lib/transport/room-broadcast.ts): on the socket.io
 * transformer a chat message goes out through the mirrored socket.io room, and the packet a
 * member receives must be byte for byte what `spark.write` of the same frame sends,
 * U+2028/U+2029 escaping included, over websocket and long-polling. The fallbacks (a
 * per-recipient `say` middleware, a Primus outgoing transformer, the `websockets` and
 * `engine.io` transformers) must still deliver. Raw clients capture the exact wire packets.
 */
import { expect } from "chai";
import http from "node:http";
import WebSocket from "ws";
import type Primus from "primus";
import type { Server as SocketIoServer } from "socket.io";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { sparkFor } from "../support/spark-of.js";
import { roomKey } from "../../lib/transport/room-broadcast.js";
import type { Connection } from "../../lib/index.js";

type Dialect = "socket.io" | "engine.io" | "websockets";
type Transport = "websocket" | "polling";
interface Received {
  /** The transport-level text: an engine.io packet, or a ws message for `websockets`. */
  raw: string;
  /** The Primus-encoded string inside it. */
  primus: string;
  value: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client below Primus that keeps every packet exactly as it arrived. */
class WireClient {
  readonly received: Received[] = [];
  #waiters: Array<{ test: (r: Received) => boolean; resolve: (r: Received) => void }> = [];
  #send: (text: string) => void = () => undefined;
  #close: () => void = () => undefined;
  #sid: string | undefined;
  #closed = false;

  private constructor(readonly dialect: Dialect) {}

  static async open(url: string, dialect: Dialect, transport: Transport): Promise<WireClient> {
    const client = new WireClient(dialect);
    if (transport === "websocket") client.#openWebSocket(url);
    else client.#openPolling(url);
    await client.next((r) => isObject(r.value) && typeof r.value.welcome === "string");
    return client;
  }

  #openWebSocket(url: string): void {
    const query = this.dialect === "websockets" ? "" : "?EIO=4&transport=websocket";
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/primus/${query}`);
    socket.on("message", (data) => this.#packet(String(data)));
    socket.on("error", () => undefined);
    this.#send = (text) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
    };
    this.#close = () => socket.terminate();
  }

  #openPolling(url: string): void {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const target = new URL(url);
    const outbox: string[] = [];
    let posting = false;
    const request = (method: string, body: string | undefined, done: (text: string) => void) => {
      const path = `/primus/?EIO=4&transport=polling${this.#sid ? `&sid=${this.#sid}` : ""}`;
      const req = http.request({ host: target.hostname, port: target.port, method, path, agent, headers: body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => done(text));
      });
      req.on("error", () => undefined);
      req.end(body);
    };
    const poll = () => {
      if (this.#closed) return;
      request("GET", undefined, (text) => {
        for (const packet of text.split("\x1e")) {
          if (this.#sid === undefined && packet.startsWith("0{")) this.#sid = (JSON.parse(packet.slice(1)) as { sid: string }).sid;
          if (packet === "1") this.#closed = true;
          if (packet !== "6" && packet !== "") this.#packet(packet);
        }
        poll();
      });
    };
    const flush = () => {
      if (posting || outbox.length === 0 || this.#closed) return;
      posting = true;
      request("POST", outbox.splice(0).join("\x1e"), () => {
        posting = false;
        flush();
      });
    };
    this.#send = (text) => {
      outbox.push(text);
      flush();
    };
    this.#close = () => {
      this.#closed = true;
      agent.destroy();
    };
    poll();
  }

  #packet(raw: string): void {
    let primus: string | undefined;
    if (this.dialect === "websockets") primus = raw;
    else if (raw === "2") return this.#send("3");
    else if (raw.startsWith("0{")) {
      if (this.dialect === "socket.io") this.#send("40");
      return;
    } else if (this.dialect === "engine.io" && raw.startsWith("4")) primus = raw.slice(1);
    else if (this.dialect === "socket.io" && raw.startsWith("42")) {
      const event = JSON.parse(raw.slice(2)) as unknown[];
      if (event[0] === "message" && typeof event[1] === "string") primus = event[1];
    }
    if (primus === undefined) return;
    const value: unknown = JSON.parse(primus);
    if (typeof value === "string" && value.startsWith("primus::ping::")) {
      this.send(`primus::pong::${value.slice("primus::ping::".length)}`);
      return;
    }
    const entry = { raw, primus, value };
    this.received.push(entry);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(entry)) return true;
      w.resolve(entry);
      return false;
    });
  }

  /** Sends one value the way the Primus client of this transformer would. */
  send(value: unknown): void {
    const primus = JSON.stringify(value);
    if (this.dialect === "socket.io") this.#send(`42${JSON.stringify(["message", primus])}`);
    else if (this.dialect === "engine.io") this.#send(`4${primus}`);
    else this.#send(primus);
  }

  next(test: (r: Received) => boolean, timeoutMs = 5000, from = 0): Promise<Received> {
    const seen = this.received.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching packet within ${timeoutMs} ms; last: ${JSON.stringify(this.received.slice(-3).map((r) => r.raw))}`)), timeoutMs);
      this.#waiters.push({ test, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }

  async request(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const messageId = `m${Math.random().toString(36).slice(2)}`;
    const mark = this.received.length;
    this.send({ ...frame, messageId });
    const reply = await this.next((r) => isObject(r.value) && r.value.messageId === messageId, 5000, mark);
    return reply.value as Record<string, unknown>;
  }

  /** Packets carrying a chat message (context "user") received after index `from`. */
  chat(from = 0): Received[] {
    return this.received.slice(from).filter((r) => isObject(r.value) && r.value.context === "user");
  }

  close(): void {
    this.#close();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The server-side connection of the client that answers detailsView with `id`. */
async function connectionOf(ts: TestServer, client: WireClient): Promise<Connection> {
  const details = await client.request({ event: "detailsView" });
  const id = (details.data as { id: string }).id;
  const connection = ts.ws.connections.get(id);
  if (!connection) throw new Error(`no connection ${id}`);
  return connection;
}

/** Counts `outgoing::data` on a spark: the per-spark paths emit it, the socket.io room path does not. */
function countOutgoing(connection: Connection): { readonly count: number; stop(): void } {
  const spark = sparkFor(connection);
  if (!spark) throw new Error("no spark");
  let count = 0;
  const listener = () => count++;
  spark.on("outgoing::data", listener);
  return {
    get count() {
      return count;
    },
    stop: () => spark.off("outgoing::data", listener),
  };
}

const tricky = "line\u2028separator\u2029paragraph \"quoted\" \\ back-slash, ünïcode ✓";

/**
 * Broadcasts `message` to `room` and returns, for each client, the chat packet it got plus
 * the packet `spark.write` of the same decoded frame produces on the same socket.
 */
async function broadcastAndRewrite(ts: TestServer, room: string, message: unknown, clients: WireClient[]): Promise<Array<{ broadcast: Received; written: Received }>> {
  const marks = clients.map((c) => c.received.length);
  await ts.ws.chatRoom.broadcast({}, room, message);
  const out = [];
  for (const [i, client] of clients.entries()) {
    const broadcast = await client.next((r) => isObject(r.value) && r.value.context === "user", 5000, marks[i]);
    const connection = await connectionOf(ts, client);
    const mark = client.received.length;
    sparkFor(connection)!.write(JSON.parse(broadcast.primus));
    const written = await client.next((r) => isObject(r.value) && r.value.context === "user", 5000, mark);
    out.push({ broadcast, written });
  }
  return out;
}

for (const transport of ["websocket", "polling"] as const) {
  describe(`fast room broadcast (socket.io transformer, ${transport})`, function () {
    let ts: TestServer;
    let a: WireClient;
    let b: WireClient;

    before(async () => {
      ts = await startTestServer();
    });
    after(async () => {
      await ts.close();
    });
    beforeEach(async () => {
      a = await WireClient.open(ts.url, "socket.io", transport);
      b = await WireClient.open(ts.url, "socket.io", transport);
      for (const client of [a, b]) expect((await client.request({ event: "roomAdd", room: "defaultRoom" })).status).to.equal("OK");
    });
    afterEach(() => {
      a.close();
      b.close();
      ts.ws.chatRoom.middleware.remove("personal");
    });

    it("sends byte-identical packets to spark.write, U+2028/U+2029 escaped, without a per-spark write", async () => {
      const [ca, cb] = await Promise.all([connectionOf(ts, a), connectionOf(ts, b)]);
      const spies = [countOutgoing(ca), countOutgoing(cb)];
      const marks = [a.received.length, b.received.length];
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", tricky);
      const got = await Promise.all([a, b].map((c, i) => c.next((r) => isObject(r.value) && r.value.context === "user", 5000, marks[i])));
      // the room path never went through the sparks
      expect(spies.map((s) => s.count)).to.deep.equal([0, 0]);
      spies.forEach((s) => s.stop());

      for (const packet of got) {
        expect(packet.value).to.include({ message: tricky, room: "defaultRoom", from: "0", context: "user" });
        expect(packet.primus).to.include("\\u2028").and.include("\\u2029");
        expect(packet.primus).to.not.include("\u2028").and.not.include("\u2029");
      }
      const pairs = await broadcastAndRewrite(ts, "defaultRoom", tricky, [a, b]);
      for (const { broadcast, written } of pairs) {
        expect(broadcast.raw).to.equal(written.raw);
        expect(broadcast.primus).to.equal(written.primus);
      }
    });

    it("delivers JSON object messages intact and in order with direct writes", async () => {
      const message = { text: "hi\u2028there", nested: { n: 1, list: [1, "two"] } };
      const pairs = await broadcastAndRewrite(ts, "defaultRoom", message, [a, b]);
      for (const { broadcast, written } of pairs) {
        expect((broadcast.value as Record<string, unknown>).message).to.deep.equal(message);
        expect(broadcast.raw).to.equal(written.raw);
      }
      // a reply sent right before a broadcast arrives before it
      const mark = a.received.length;
      const spark = sparkFor(await connectionOf(ts, a))!;
      const after = a.received.length;
      spark.write({ context: "api", marker: 1 });
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", "after the marker");
      await a.next((r) => isObject(r.value) && r.value.message === "after the marker", 5000, after);
      const order = a.received.slice(mark).map((r) => (r.value as Record<string, unknown>).marker ?? (r.value as Record<string, unknown>).message);
      expect(order.indexOf(1)).to.be.lessThan(order.indexOf("after the marker"));
    });

    it("mirrors leave and disconnect: only members receive, and no dead socket stays in the socket.io room", async () => {
      const io = ts.ws.primus!.transformer.service as SocketIoServer;
      expect(io.of("/").adapter.rooms.get(roomKey("defaultRoom"))?.size).to.equal(2);
      expect((await b.request({ event: "roomLeave", room: "defaultRoom" })).status).to.equal("OK");
      expect(io.of("/").adapter.rooms.get(roomKey("defaultRoom"))?.size).to.equal(1);
      const markB = b.received.length;
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", "members only");
      await a.next((r) => isObject(r.value) && r.value.message === "members only");
      await sleep(100);
      expect(b.chat(markB)).to.have.length(0);

      a.close();
      const deadline = Date.now() + 5000;
      while (io.of("/").adapter.rooms.has(roomKey("defaultRoom")) && Date.now() < deadline) await sleep(20);
      expect(io.of("/").adapter.rooms.has(roomKey("defaultRoom"))).to.equal(false);
    });

    it("a chat room named like a socket id never reaches that socket", async () => {
      const connection = await connectionOf(ts, a);
      const socketId = sparkFor(connection)!.id;
      await ts.ws.chatRoom.add(socketId);
      const mark = a.received.length;
      await ts.ws.chatRoom.broadcast({}, socketId, "not for you");
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", "for you");
      await a.next((r) => isObject(r.value) && r.value.message === "for you", 5000, mark);
      expect(a.chat(mark).map((r) => (r.value as Record<string, unknown>).message)).to.deep.equal(["for you"]);
      await ts.ws.chatRoom.destroy(socketId);
    });

    it("falls back to per-recipient writes with a `say` middleware", async () => {
      ts.ws.chatRoom.addMiddleware({
        name: "personal",
        say: (connection, _room, payload) => ({ ...payload, to: connection.id }),
      });
      const [ca, cb] = await Promise.all([connectionOf(ts, a), connectionOf(ts, b)]);
      const spies = [countOutgoing(ca), countOutgoing(cb)];
      const marks = [a.received.length, b.received.length];
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", tricky);
      const got = await Promise.all([a, b].map((c, i) => c.next((r) => isObject(r.value) && r.value.context === "user", 5000, marks[i])));
      spies.forEach((s) => s.stop());
      expect(spies.map((s) => s.count)).to.deep.equal([1, 1]);
      expect(got.map((r) => (r.value as Record<string, unknown>).to)).to.deep.equal([ca.id, cb.id]);
      expect(got.map((r) => (r.value as Record<string, unknown>).message)).to.deep.equal([tricky, tricky]);
    });
  });
}

describe("fast room broadcast falls back with a Primus outgoing transformer", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });

  it("runs the transformer for every recipient (spark.write) and still delivers", async () => {
    const primus = ts.ws.primus as Primus & { transform(type: string, fn: (packet: { data: Record<string, unknown> }) => void): Primus };
    const clients = await Promise.all([WireClient.open(ts.url, "socket.io", "websocket"), WireClient.open(ts.url, "socket.io", "polling")]);
    try {
      for (const client of clients) await client.request({ event: "roomAdd", room: "otherRoom" });
      primus.transform("outgoing", (packet) => {
        if (isObject(packet.data) && packet.data.context === "user") packet.data.stamped = true;
      });
      const marks = clients.map((c) => c.received.length);
      await ts.ws.chatRoom.broadcast({}, "otherRoom", "through transforms");
      const got = await Promise.all(clients.map((c, i) => c.next((r) => isObject(r.value) && r.value.context === "user", 5000, marks[i])));
      for (const packet of got) expect(packet.value).to.include({ message: "through transforms", stamped: true });
    } finally {
      primus.transformers.outgoing.length = 0;
      clients.forEach((c) => c.close());
    }
  });
});

for (const { transformer, dialect, transports } of [
  { transformer: "websockets", dialect: "websockets", transports: ["websocket"] },
  { transformer: "engine.io", dialect: "engine.io", transports: ["websocket", "polling"] },
] as const) {
  describe(`room broadcast on the "${transformer}" transformer (encoded once per spark)`, function () {
    let ts: TestServer;
    before(async () => {
      ts = await startTestServer({ server: { transformer } });
    });
    after(async () => {
      await ts.close();
    });

    for (const transport of transports) {
      it(`sends what spark.write sends (${transport})`, async () => {
        const clients = await Promise.all([WireClient.open(ts.url, dialect, transport), WireClient.open(ts.url, dialect, transport)]);
        try {
          for (const client of clients) expect((await client.request({ event: "roomAdd", room: "defaultRoom" })).status).to.equal("OK");
          const pairs = await broadcastAndRewrite(ts, "defaultRoom", tricky, clients);
          for (const { broadcast, written } of pairs) {
            expect((broadcast.value as Record<string, unknown>).message).to.equal(tricky);
            expect(broadcast.primus).to.include("\\u2028").and.include("\\u2029");
            expect(broadcast.raw).to.equal(written.raw);
          }
        } finally {
          clients.forEach((c) => c.close());
        }
      });
    }
  });
}
