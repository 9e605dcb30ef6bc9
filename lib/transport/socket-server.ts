/**
 * Primus on the app's http(s) server: layers (origin, cookies, closing, payload limit), one
 * Connection per spark, inbound frames to the FrameHandler. Room broadcasts: room-broadcast.ts.
 */
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import Primus from "primus";
import cookieParser from "cookie-parser";
import { Connection, type CloseReason, type ConnectionTransport } from "../connection/connection.js";
import { fingerprintOf } from "../connection/fingerprint.js";
import type { ResolvedOptions } from "../options.js";
import type { Logger } from "../logger.js";
import { originLayer } from "../http/origin-policy.js";
import { engineOf, handshakeLimitLayer } from "../http/handshake-limit.js";
import { transformerFor } from "./transformer-choice.js";
import { writeFrame } from "./frame-encoder.js";
import { createOutboundSweeper, guardSocket, payloadLimitLayer, type SocketLimitHooks } from "./socket-limits.js";
import { trimHandshakeRequest } from "./handshake-trim.js";
import { receiveFramesDirectly } from "./spark-fast-path.js";

/** Builds the Primus options from ours (shared by the real server and the client generator). */
export function primusOptions(options: ResolvedOptions): Primus.Options {
  const s = options.server;
  return {
    pathname: s.pathname,
    parser: s.parser,
    transformer: transformerFor(s.transformer),
    pingInterval: s.pingInterval,
    maxLength: s.maxLength,
    compression: s.compression,
    transport: { ...s.transport },
    // Our origin layer replaces Primus's CORS; these only matter if someone re-adds it.
    origins: "",
    credentials: false,
    iknowclusterwillbreakconnections: true,
  };
}

export interface SocketServerHooks {
  /** A spark opened: build and register its Connection. */
  connected(connection: Connection): void;
  data(connection: Connection, data: unknown): void;
  /** The spark sent something that is not valid JSON. */
  invalidFrame(connection: Connection, reason: string): void;
  isClosing(): boolean;
  counters: { originRefused: number; handshakesRefused: number; pendingHandshakes: number };
  /** A socket went over `limits.outboundBufferBytes`; it is being dropped. */
  slowConsumer?(connection: Connection, queuedBytes: number): void;
  /** An inbound websocket frame or polling body over `server.maxLength` was refused. */
  oversized?(connection: Connection | undefined, transport: "websocket" | "polling"): void;
}

const sparkOf = new WeakMap<Connection, Primus.Spark>();

/** The spark behind a connection of this node (undefined for stand-ins and closed ones). */
export function sparkFor(connection: Connection): Primus.Spark | undefined {
  return sparkOf.get(connection);
}

export function createSocketServer(server: HttpServer | HttpsServer, options: ResolvedOptions, logger: Logger, hooks: SocketServerHooks): Primus {
  const primus = new Primus(server, primusOptions(options));
  // Primus says "custom" for a transformer constructor; name ours in /primus/spec.
  (primus as unknown as { spec: Record<string, unknown> }).spec.transformer = options.server.transformer;
  const cors = primus.indexOfLayer("cors");
  primus.remove("cors");
  primus.use("origin", originLayer({
    origins: options.origins,
    allowMissingOrigin: options.allowMissingOrigin,
    trustProxy: options.trustProxy,
    logger,
    onRefused: () => hooks.counters.originRefused++,
  }), cors);
  primus.use("handshake-limit", handshakeLimitLayer(engineOf(primus.transformer.service), { perIp: options.limits.pendingHandshakesPerIp, total: options.limits.pendingHandshakes, trustProxy: options.trustProxy, logger, counters: hooks.counters }), cors + 1);
  primus.use("cookies", cookieParser(options.secret) as unknown as Primus.Layer, primus.indexOfLayer("authorization"));
  primus.use("closing", (req, res, next) => {
    if (!hooks.isClosing()) return next();
    // Requests of an open polling session (`sid`) still pass: they fetch its last replies
    // and the close notice, and carry the client's goodbye.
    if (sessionIdOf(req)) return next();
    // Refuse new sockets while close() drains; clients retry elsewhere.
    if ("setHeader" in res) {
      res.statusCode = 503;
      res.end();
    } else res.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  }, 0);
  primus.use("payload-limit", payloadLimitLayer((req) => {
    hooks.oversized?.(undefined, "polling");
    // engine.io answered 413 but keeps the session; its client gives up on it: end it now.
    const sid = sessionIdOf(req);
    const engine = (primus.transformer.service as { engine?: { clients?: Record<string, { close(discard?: boolean): void }> } } | undefined)?.engine;
    if (sid && engine?.clients && Object.hasOwn(engine.clients, sid)) engine.clients[sid].close(true);
  }));

  // limits.outboundBufferBytes: one sweeper for this server's sockets, stopped with it.
  const outbound = createOutboundSweeper(primus, options.limits.outboundBufferBytes);
  // Shared by every socket (the connection is passed back): no closures per socket.
  const limitHooks: SocketLimitHooks<Connection> = {
    slow: (connection, queuedBytes) => hooks.slowConsumer?.(connection, queuedBytes),
    oversized: (connection) => hooks.oversized?.(connection, "websocket"),
  };
  primus.on("close", () => outbound.stop());
  primus.on("connection", (spark: Primus.Spark) => {
    const connection = new Connection({
      fingerprint: fingerprintOf(spark.request, spark.query, options.cookieKey, options.secret, options.acceptSessionIdQuery),
      remoteIP: spark.address.ip,
      remotePort: spark.address.port,
      transport: new SparkTransport(primus, spark),
    });
    sparkOf.set(connection, spark);
    // The fingerprint is read: the rest of the handshake's parsing only costs memory now.
    trimHandshakeRequest(spark.request);
    const receive = (data: unknown) => hooks.data(connection, data);
    spark.on("data", receive);
    receiveFramesDirectly(spark, receive);
    spark.on("error", (error: Error) => {
      // Primus reports undecodable frames as a ParserError here; transport errors also land
      // here, and those concern the socket, not a frame the client could correct.
      if (/decode/i.test(error.message)) hooks.invalidFrame(connection, "invalid JSON");
      else logger.debug({ connection: connection.id, err: error.message }, "actionhero-ws: socket error");
    });
    spark.on("end", () => void connection.cleanup());
    guardSocket(spark, outbound, limitHooks, connection);
    hooks.connected(connection);
  });
  return primus;
}

/** engine.io's session id of a request (present on every request after the handshake). */
function sessionIdOf(req: { url?: string }): string | null {
  return new URL(req.url ?? "/", "http://localhost").searchParams.get("sid");
}

/** A connection's way to its spark: one small object per socket rather than three closures. */
class SparkTransport implements ConnectionTransport {
  constructor(
    private readonly primus: Primus,
    private readonly spark: Primus.Spark,
  ) {}

  write(frame: object): void {
    writeFrame(this.primus, this.spark, frame);
  }

  end(reconnect: boolean, close?: CloseReason): void {
    // The transformer reads it when it closes the socket (websocket close code).
    if (close) (this.spark as Primus.Spark & { closeReason?: CloseReason }).closeReason = close;
    this.spark.end(undefined, { reconnect });
  }

  /** "polling" or "websocket": what the spark runs on now (for stats). */
  name(): string {
    const socket = this.spark.socket as { conn?: { transport?: { name?: string } }; transport?: { name?: string } } | null;
    const name = socket?.conn?.transport?.name ?? socket?.transport?.name;
    return name === "polling" ? "polling" : "websocket";
  }
}
