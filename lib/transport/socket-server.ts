/**
 * Primus mounted on the app's http(s) server: its layers (primus-layers.ts), one Connection
 * per spark with its SparkTransport, inbound frames to the protocol's handler, the socket
 * limits with their counters and log lines, and unmounting (the app's server gets its own
 * listeners back). Room broadcasts: room-broadcast.ts.
 */
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import Primus from "primus";
import { Connection } from "../connection/connection.js";
import { fingerprintOf } from "../connection/fingerprint.js";
import type { ResolvedOptions } from "../options.js";
import type { Logger } from "../logger.js";
import type { RuntimeCounters } from "../stats/counters.js";
import { transformerFor } from "./transformer-choice.js";
import { primusOptions } from "./primus-options.js";
import { useLayers } from "./primus-layers.js";
import { SparkTransport } from "./spark-transport.js";
import { sweeperFor } from "./outbound-sweeper.js";
import { guardSocket, type SocketLimitHooks } from "./socket-limits.js";
import { trimHandshakeRequest } from "./handshake-trim.js";
import { useLeanSparks } from "./lean-spark.js";
import { forgetHandshakeState } from "../http/handshake-middleware.js";
import { clientAddress } from "../http/request-origin.js";
import type { HandshakeRequest } from "../connection/connection-middleware.js";

export interface SocketServerHooks {
  /** A spark opened: register its Connection (a promise while connection middleware runs). */
  connected(connection: Connection, request: HandshakeRequest): void | Promise<void>;
  data(connection: Connection, data: unknown): void;
  /** The spark sent something that is not valid JSON. */
  invalidFrame(connection: Connection): void;
  isClosing(): boolean;
}

export interface MountedSocketServer {
  readonly primus: Primus;
  readonly server: HttpServer | HttpsServer;
  /** Destroys Primus (sparks must already be ended) and restores the server's own listeners. */
  unmount(): Promise<void>;
}

type Listener = (...args: unknown[]) => void;

function forgetHandshake(request: Primus.Spark["request"]): void {
  forgetHandshakeState(request);
  trimHandshakeRequest(request);
}

export function mountSocketServer(
  server: HttpServer | HttpsServer,
  options: ResolvedOptions,
  logger: Logger,
  counters: RuntimeCounters,
  hooks: SocketServerHooks,
): MountedSocketServer {
  const before = { request: server.listeners("request") as Listener[], upgrade: server.listeners("upgrade") as Listener[] };
  const primus = new Primus(server, primusOptions(options, transformerFor(options.server.transformer)));
  useLeanSparks(primus);
  // Primus says "custom" for a transformer constructor; name ours in /primus/spec.
  (primus as unknown as { spec: Record<string, unknown> }).spec.transformer = options.server.transformer;
  const oversized = (connection: Connection | undefined, transport: "websocket" | "polling") => {
    counters.oversizedFrames++;
    counters.badFrame("too_large");
    logger.warn(
      { connection: connection?.id ?? null, transport, reason: "frame too large", maxLength: options.server.maxLength },
      transport === "websocket"
        ? "actionhero-ws: closed a websocket (1009) that sent a frame over server.maxLength"
        : "actionhero-ws: refused a polling body (413) over server.maxLength",
    );
  };
  useLayers(primus, options, logger, {
    isClosing: hooks.isClosing,
    counters,
    originRefused: () => counters.originRefused++,
    oversizedBody: () => oversized(undefined, "polling"),
  });

  // limits.outboundBufferBytes: one sweeper for this server's sockets, stopped with it.
  const outbound = sweeperFor(primus, options.limits.outboundBufferBytes);
  // Shared by every socket (the connection is passed back): no closures per socket.
  const limitHooks: SocketLimitHooks<Connection> = {
    slow: (connection, queuedBytes) => {
      counters.slowConsumerCloses++;
      logger.warn(
        { connection: connection.id, remoteIP: connection.remoteIP, reason: "slow consumer", queuedBytes, limitBytes: options.limits.outboundBufferBytes },
        "actionhero-ws: closing a connection that does not read fast enough (outbound buffer over limits.outboundBufferBytes)",
      );
    },
    oversized: (connection) => oversized(connection, "websocket"),
  };
  primus.on("close", () => outbound.stop());
  // The spark listeners are shared by every spark (`this` is the spark, its connection is on
  // its record): no closures per idle socket.
  const receive = (connection: Connection, data: unknown) => hooks.data(connection, data);
  function onSparkData(this: Primus.Spark, data: unknown): void {
    const connection = SparkTransport.of(this).connection;
    if (connection) receive(connection, data);
  }
  function onSparkError(this: Primus.Spark, error: Error): void {
    const connection = SparkTransport.of(this).connection;
    if (!connection) return;
    // Primus reports undecodable frames as a ParserError here; transport errors also land
    // here, and those concern the socket, not a frame the client could correct.
    if (/decode/i.test(error.message)) hooks.invalidFrame(connection);
    else logger.debug({ connection: connection.id, err: error.message }, "actionhero-ws: socket error");
  }
  function onSparkEnd(this: Primus.Spark): void {
    void SparkTransport.of(this).connection?.cleanup();
  }
  primus.on("connection", (spark: Primus.Spark) => {
    const transport = SparkTransport.of(spark);
    const connection = new Connection({
      fingerprint: fingerprintOf(spark.request, spark.query, options.cookieKey, options.secret, options.acceptSessionIdQuery),
      // not Primus's spark.address: it believes any client's X-Forwarded-For (README, `trustProxy`)
      remoteIP: clientAddress(spark.request, options.trustProxy),
      remotePort: spark.request.socket?.remotePort ?? 0,
      transport,
    });
    transport.connection = connection;
    // Primus's own path (plugins, other parsers) and our fast path end in the same handler.
    transport.receive = receive;
    spark.on("data", onSparkData);
    spark.on("error", onSparkError);
    spark.on("end", onSparkEnd);
    guardSocket(spark, outbound, limitHooks, connection);
    const request = spark.request;
    const opening = hooks.connected(connection, request as HandshakeRequest);
    // The fingerprint and `create` middleware have read the handshake: the rest of its
    // parsing (and what the handshake middleware hung on it) only costs memory now.
    if (opening) void opening.then(() => forgetHandshake(request), () => forgetHandshake(request));
    else forgetHandshake(request);
  });

  return {
    primus,
    server,
    async unmount() {
      // `reconnect: true` here would make Primus close the app's server.
      await new Promise<void>((resolve) => primus.destroy({ close: false }, () => resolve()));
      for (const event of ["request", "upgrade"] as const) {
        server.removeAllListeners(event);
        for (const listener of before[event]) server.on(event, listener);
      }
    },
  };
}
