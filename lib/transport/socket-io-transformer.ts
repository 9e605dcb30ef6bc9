/**
 * A Primus transformer on socket.io v4. Primus 8 dropped its own socket.io transformer
 * (it only ever supported 0.9), so this one is ours: Primus keeps its framing, heartbeats
 * and client API, socket.io underneath gives long-polling fallback and encode-once rooms.
 */
import { createRequire } from "node:module";
import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Primus from "primus";
import { Server as EngineServer } from "engine.io";
import { Server as SocketIoServer, type Socket } from "socket.io";
import { SparkTransport } from "./spark-transport.js";
import { objectFramesQuery } from "./frame-codec.js";
import { batchFlushWrites, SocketKeepingWsServer } from "./flush-writes.js";
import { dropUpgradeGc } from "./handshake-trim.js";

const require = createRequire(import.meta.url);
const client = require("../../../lib/transport/socket-io-client.cjs") as () => void;

let browserLibrary: string | undefined;

/** How long shutdown waits for polling clients to fetch the frames queued for them. */
const drainTimeoutMs = 2000;

/**
 * socket.io-client's browser bundle, wrapped so that pages with AMD/CommonJS loaders
 * still get the global `io` the transformer's client half looks for.
 */
function socketIoClientLibrary(): string {
  if (browserLibrary === undefined) {
    const dir = dirname(require.resolve("socket.io-client/package.json"));
    const bundle = readFileSync(join(dir, "dist", "socket.io.js"), "utf8")
      .replace(/\/\/# sourceMappingURL=.*$/m, "");
    browserLibrary = `(function () { var define, module, exports;\n${bundle}\n}).call(this);`;
  }
  return browserLibrary;
}

/** The spark keeps its socket.io socket so chat rooms can mirror into socket.io rooms. */
export type SocketIoSpark = Primus.Spark & { socket: Socket | null; primus: Primus };

interface SocketData {
  spark?: SocketIoSpark;
}

/** A packet (string, or a frame object for object-frame clients) to the spark's socket, while it is connected. */
function sendOnSocket(spark: Primus.Spark, data: unknown): void {
  const socket = (spark as SocketIoSpark).socket;
  if (socket?.connected) socket.send(data);
}

function onOutgoingData(this: SocketIoSpark, data: unknown): void {
  sendOnSocket(this, data);
}

function onOutgoingEnd(this: SocketIoSpark): void {
  const socket = this.socket;
  if (!socket?.connected) return;
  // engine.io closes a websocket without a code; give the client the stated one
  // (e.g. 1008 after a flood). ws sends it after the frames already queued.
  // Frames still in engine.io's buffer (the notice, Primus's close) go out first.
  const close = SparkTransport.of(this).closeReason;
  const conn = socket.conn as unknown as EventEmitter & { writeBuffer: unknown[]; transport: { name?: string; socket?: { close(code: number, reason: string): void } } };
  if (close && conn.transport.name === "websocket") {
    const withCode = () => conn.transport.socket?.close(close.code, close.reason);
    if (conn.writeBuffer.length) conn.once("drain", withCode);
    else withCode();
  }
  socket.disconnect(true);
}

function sparkOfSocket(socket: Socket): SocketIoSpark | undefined {
  return (socket.data as SocketData).spark;
}

function onSocketMessage(this: Socket, data: unknown): void {
  const spark = sparkOfSocket(this);
  if (spark) SparkTransport.of(spark).receiveRaw(data);
}

function onSocketError(this: Socket, error: unknown): void {
  sparkOfSocket(this)?.emit("incoming::error", error);
}

function onSocketDisconnect(this: Socket, reason: unknown): void {
  sparkOfSocket(this)?.emit("incoming::end", reason);
}

export function createSocketIoTransformer(): Primus.TransformerConstructor {
  return Primus.Transformer.extend({
    server(this: Primus.TransformerInstance) {
      const options = this.primus.options;
      const engine = new EngineServer({
        perMessageDeflate: !!options.compression,
        httpCompression: !!options.compression,
        maxHttpBufferSize: options.maxLength,
        wsEngine: SocketKeepingWsServer,
        ...(options.transport ?? {}),
      });
      batchFlushWrites(engine);
      // Primus owns the http server's listeners, so bind socket.io to a bare engine and
      // feed it the requests Primus routes to us.
      const io = new SocketIoServer({ serveClient: false });
      io.bind(engine);
      this.service = io;

      io.on("connection", (socket: Socket) => {
        const request = socket.request;
        const spark = new this.Spark(
          request.headers,
          { remoteAddress: socket.conn.remoteAddress, remotePort: request.socket?.remotePort },
          socket.handshake.query,
          socket.id,
          request,
          socket,
        ) as SocketIoSpark;
        // The listeners below are shared by every socket (`this` is the emitter, the spark
        // is found through socket.data): no closures per idle connection.
        (socket.data as SocketData).spark = spark;
        spark.on("outgoing::data", onOutgoingData);
        spark.on("outgoing::end", onOutgoingEnd);
        const record = SparkTransport.of(spark);
        record.send = sendOnSocket;
        record.objects = socket.handshake.query[objectFramesQuery] === "1";
        socket.on("message", onSocketMessage);
        socket.on("error", onSocketError);
        socket.on("disconnect", onSocketDisconnect);
      });

      this.on("request", (req, res) => engine.handleRequest(req, res));
      this.on("upgrade", (req, sock, head) => {
        dropUpgradeGc(sock);
        engine.handleUpgrade(req, sock, head);
      });
      // Primus awaits `close` listeners taking a callback before it tears the transformer
      // down. A polling client between two polls still has frames queued (a last reply,
      // `primus::server::close`); engine.close() below would discard them, and the client
      // would take the transport error for a network drop and reconnect. Its next poll
      // comes at once, so wait for the queues to drain (bounded: a dead client never polls).
      this.primus.on("close", (_options: unknown, done: () => void) => {
        const clients = (engine as unknown as { clients: Record<string, { readyState: string; writeBuffer: unknown[] }> }).clients;
        const deadline = Date.now() + drainTimeoutMs;
        const check = () => {
          const queued = Object.values(clients).some((c) => c.readyState !== "closed" && c.writeBuffer.length > 0);
          if (!queued || Date.now() >= deadline) return done();
          setTimeout(check, 5);
        };
        check();
      });
      this.once("close", () => {
        // A polling socket closed by the server waits up to 30 s for the client's next poll
        // to deliver the close packet; on shutdown nobody will poll again, so finish now.
        const clients = (engine as unknown as { clients: Record<string, { transport?: { shouldClose?: (() => void) | null } }> }).clients;
        for (const client of Object.values(clients)) {
          const finish = client.transport?.shouldClose;
          if (typeof finish === "function") {
            client.transport!.shouldClose = null;
            finish();
          }
        }
        io.close();
        engine.close();
      });
    },
    client,
    library: socketIoClientLibrary(),
  });
}
