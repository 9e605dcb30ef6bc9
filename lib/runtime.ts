/**
 * The runtime behind the middleware: composes the parts (store and bus, chat, actions,
 * Primus transport) and owns their lifecycle (start, attach, close, stats).
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { IncomingMessage, ServerResponse, type Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as NetServer } from "node:net";
import type Primus from "primus";
import { resolveOptions, type ActionheroWsOptions, type ResolvedOptions } from "./options.js";
import { createLogger, type Logger } from "./logger.js";
import { ActionRegistry } from "./actions/action-registry.js";
import type { ProcessorState } from "./actions/action-processor.js";
import { Connection } from "./connection/connection.js";
import { ConnectionRegistry } from "./connection/connection-registry.js";
import { ChatRoom } from "./chat/chat-room.js";
import { FrameHandler } from "./protocol/frame-handler.js";
import { verbError } from "./protocol/replies.js";
import { createSocketServer } from "./transport/socket-server.js";
import { broadcastToRoom, mirrorJoin, mirrorLeave } from "./transport/room-broadcast.js";
import { generateClient, writeClient, type GeneratedClient } from "./client/client-generator.js";
import { createStores } from "./stores/create-stores.js";
import type { RoomStore } from "./stores/room-store.js";
import type { MessageBus } from "./stores/message-bus.js";
import { LivenessSweeper } from "./chat/liveness-sweeper.js";
import { RuntimeCounters } from "./stats/counters.js";
import { registerPrometheusMetrics } from "./stats/prometheus-metrics.js";

export type AnyServer = HttpServer | HttpsServer;

export interface CloseOptions {
  /** How long in-flight actions may take to finish before sockets are ended. */
  timeoutMs?: number;
}

export interface Stats {
  nodeId: string;
  connections: number;
  /** Open connections by transport ("websocket", "polling"). */
  connectionsByTransport: Record<string, number>;
  /** Rooms with at least one member on this node. */
  localRooms: number;
  actionsInFlight: number;
  store: { kind: "memory" | "redis"; ready: boolean };
  /** Redis health (store commands and pub/sub bus); null with the embedded store. */
  redis: { up: boolean; store: boolean; bus: boolean } | null;
  /** Frames refused by the per-connection rate limit. */
  rateLimited: number;
  /** Connections closed for flooding. */
  rateLimitCloses: number;
  /** Frames refused as malformed. */
  badFrames: number;
  /** Inbound frames/bodies over `server.maxLength` (websocket closed 1009, polling 413). */
  oversizedFrames: number;
  /** Connections closed because their outbound buffer went over `limits.outboundBufferBytes`. */
  slowConsumerCloses: number;
  /** Handshakes refused by the origin policy. */
  originRefused: number;
  /** Polling handshakes refused by the pending-handshake limits (429 per address, 503 per node). */
  handshakesRefused: number;
  /** Polling handshakes pending now (not upgraded and no message yet). */
  pendingHandshakes: number;
  /** Message bus subscriber reconnects (clients were sent a `resync` notice). */
  pubsubReconnects: number;
  pendingRpc: number;
  closing: boolean;
}

export class Runtime extends EventEmitter {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly connections = new ConnectionRegistry();
  readonly actions = new ActionRegistry();
  readonly store: RoomStore;
  readonly bus: MessageBus;
  readonly chatRoom: ChatRoom;
  readonly frames: FrameHandler;
  /** What the action processor needs from the runtime (limits, shutdown, in-flight count). */
  readonly processor: ProcessorState;
  readonly counters = new RuntimeCounters();
  /** Action runs in progress (a count, not a set: nothing per request to allocate). */
  actionsInFlight = 0;
  readonly #idleWaiters: Array<() => void> = [];
  readonly sweeper: LivenessSweeper;
  primus: Primus | undefined;
  server: AnyServer | undefined;
  closing = false;
  #serverListeners: { request: Function[]; upgrade: Function[] } | undefined;
  #closed: Promise<void> | undefined;
  readonly #started: Promise<void>;
  readonly #client: Promise<GeneratedClient | undefined>;
  #warnedLazy = false;
  /** Removes our Prometheus metrics from the user's registry (set once registered). */
  #unregisterMetrics: (() => void) | undefined;

  constructor(input: ActionheroWsOptions | undefined) {
    super();
    this.options = resolveOptions(input);
    this.logger = createLogger(this.options.logger);
    for (const action of this.options.actions) this.actions.add(action);
    ({ store: this.store, bus: this.bus } = createStores(this.options, this.logger));
    this.store.on("error", (error: Error) => this.logger.warn({ err: error.message }, "actionhero-ws: store error"));
    this.bus.on("error", (error: Error) => this.logger.warn({ err: error.message }, "actionhero-ws: bus error"));
    this.bus.on("resync", () => {
      this.counters.pubsubReconnects++;
      this.#notifyResync();
    });

    this.chatRoom = new ChatRoom({
      store: this.store,
      bus: this.bus,
      connections: this.connections,
      nodeId: this.options.id,
      serverToken: this.options.serverToken,
      rpcTimeout: this.options.rpcTimeout,
      defaultMiddlewarePriority: this.options.defaultMiddlewarePriority,
      roomNameBytes: this.options.limits.roomNameBytes,
      roomsPerConnection: this.options.limits.roomsPerConnection,
      logger: this.logger,
      deliver: (members, frame, room) => {
        if (this.primus) broadcastToRoom(this.primus, members, frame, room);
      },
      // Mirrored into socket.io rooms so a broadcast is encoded once (room-broadcast.ts).
      onJoin: (connection, room) => mirrorJoin(this.primus, connection, room),
      onLeave: (connection, room) => mirrorLeave(this.primus, connection, room),
    });
    const runtime = this;
    this.processor = {
      simultaneousActions: this.options.simultaneousActions,
      get shuttingDown() {
        return runtime.closing;
      },
      begin: () => this.#beginAction(),
      end: () => this.#endAction(),
      recordAction: (action, kind) => this.counters.action(action, kind),
    };
    this.frames = new FrameHandler({
      actions: this.actions,
      chat: this.chatRoom,
      processor: this.processor,
      logger: this.logger,
      publicDir: this.options.publicDir,
      maxFileBytes: 10 * 1024 * 1024,
      messageIdLength: this.options.limits.messageIdLength,
      messagesPerSecond: this.options.limits.messagesPerSecond,
      messageBurst: this.options.limits.messageBurst,
      counters: this.counters,
    });
    this.sweeper = new LivenessSweeper(this.store, this.chatRoom, this.logger, this.options.heartbeatMs);

    this.#client = this.options.enabled && this.options.clientJsName ? this.#buildClient() : Promise.resolve(undefined);
    this.#started = this.#start();
    // Failures reach ready() callers and the `error` event; never an unhandled rejection.
    this.#started.catch((error: Error) => {
      this.logger.error({ err: error.message }, "actionhero-ws: start failed");
      if (this.listenerCount("error") > 0) this.emit("error", error);
    });
    this.#client.catch(() => undefined);
    if (this.options.httpServer) this.attach(this.options.httpServer);
  }

  async #buildClient(): Promise<GeneratedClient> {
    const client = await generateClient(this.options);
    await writeClient(this.options, client);
    return client;
  }

  async #start(): Promise<void> {
    if (!this.options.enabled) return;
    await Promise.all([this.store.start(), this.bus.start(), this.#startMetrics()]);
    await this.#createStartingRooms();
    // Registered after the first start, whose rooms were just made: a later `ready` is a
    // reconnect, after which Redis may be empty: starting rooms first, then our members.
    this.store.on("ready", () => void this.#createStartingRooms().then(() => this.chatRoom.reconcileMembers()));
    // close() may have begun while the store was connecting.
    if (!this.closing) this.sweeper.start();
    await this.#client;
  }

  async #startMetrics(): Promise<void> {
    if (!this.options.metrics) return;
    const unregister = await registerPrometheusMetrics(this.options.metrics, {
      counters: this.counters,
      connectionsByTransport: () => this.connections.countByTransport(),
      actionsInFlight: () => this.actionsInFlight,
      redisUp: () => {
        const redis = this.#redisHealth();
        return redis ? Number(redis.up) : undefined;
      },
    });
    // close() may have run while prom-client was loading.
    if (this.closing) unregister();
    else this.#unregisterMetrics = unregister;
  }

  #redisHealth(): Stats["redis"] {
    if (this.store.kind !== "redis") return null;
    const store = this.store.ready;
    const bus = (this.bus as { ready?: boolean }).ready ?? true;
    return { up: store && bus, store, bus };
  }

  async #createStartingRooms(): Promise<void> {
    for (const room of Object.keys(this.options.startingChatRooms)) {
      try {
        await this.store.addRoom(room);
      } catch (error) {
        this.logger.warn({ room, err: String(error) }, "actionhero-ws: could not create a starting room");
      }
    }
  }

  #notifyResync(): void {
    for (const connection of this.connections.values()) {
      connection.sendMessage({ context: "api", event: "resync", message: "the server lost its message bus for a moment: messages may have been missed" });
    }
  }

  #beginAction(): void {
    this.actionsInFlight++;
  }

  #endAction(): void {
    if (--this.actionsInFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Resolves when no action is running (close() races it against its timeout). */
  #actionsIdle(): Promise<void> {
    if (this.actionsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  ready(): Promise<void> {
    return this.#started;
  }

  client(): Promise<GeneratedClient | undefined> {
    return this.#client;
  }

  attach(server: AnyServer): void {
    if (!this.options.enabled || this.closing) return;
    if (!(server instanceof NetServer)) throw new TypeError("actionhero-ws: attach() needs an http or https server");
    if (this.server === server) return;
    if (this.server) throw new Error("actionhero-ws: already attached to another server; create one actionheroWs() per server");
    const before = { request: server.listeners("request"), upgrade: server.listeners("upgrade") };
    this.server = server;
    this.primus = createSocketServer(server, this.options, this.logger, {
      connected: (connection) => this.#connected(connection),
      data: (connection, data) => void this.frames.handle(connection, data),
      invalidFrame: (connection, reason) => {
        this.counters.badFrame("invalid_json");
        // Undecodable: no id to echo, and the last frame's may be a request still in flight.
        connection.sendMessage(verbError(new Error(reason), {}, randomUUID()));
      },
      isClosing: () => this.closing,
      counters: this.counters,
      slowConsumer: (connection, queuedBytes) => {
        this.counters.slowConsumerCloses++;
        this.logger.warn(
          { connection: connection.id, remoteIP: connection.remoteIP, reason: "slow consumer", queuedBytes, limitBytes: this.options.limits.outboundBufferBytes },
          "actionhero-ws: closing a connection that does not read fast enough (outbound buffer over limits.outboundBufferBytes)",
        );
      },
      oversized: (connection, transport) => {
        this.counters.oversizedFrames++;
        this.counters.badFrame("too_large");
        this.logger.warn(
          { connection: connection?.id ?? null, transport, reason: "frame too large", maxLength: this.options.server.maxLength },
          transport === "websocket"
            ? "actionhero-ws: closed a websocket (1009) that sent a frame over server.maxLength"
            : "actionhero-ws: refused a polling body (413) over server.maxLength",
        );
      },
    });
    this.#serverListeners = before;
  }

  #connected(connection: Connection): void {
    if (this.closing) {
      void connection.destroy({ reconnect: true });
      return;
    }
    this.connections.set(connection.id, connection);
    connection.cleanupHook = async () => {
      await this.chatRoom.removeConnection(connection);
      this.connections.delete(connection.id);
      this.emit("disconnection", connection);
    };
    this.emit("connection", connection);
    connection.sendMessage({ welcome: this.options.welcomeMessage, context: "api" });
  }

  /** The safety net: attach from the first HTTP request when the app never called attach(). */
  lazyAttach(req: IncomingMessage, res: ServerResponse): boolean {
    const server = (req.socket as { server?: unknown }).server;
    if (this.server || this.closing || !this.options.enabled || !(server instanceof NetServer)) return false;
    if (!this.#warnedLazy) {
      this.#warnedLazy = true;
      this.logger.warn({}, "actionhero-ws: attached lazily on the first HTTP request; call ws.attach(server) after listen() so the first websocket upgrade is not missed");
    }
    this.attach(server as AnyServer);
    const path = (req.url ?? "/").split("?")[0];
    if (!path.startsWith(this.options.server.pathname) || !this.primus) return false;
    // This request went past Primus: hand it over, as Primus would have received it.
    // Express 5 gives req a getter-only `query` that Primus assigns: back to plain node objects.
    Object.setPrototypeOf(req, IncomingMessage.prototype);
    Object.setPrototypeOf(res, ServerResponse.prototype);
    this.primus.transformer.request(req, res);
    return true;
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.timeoutMs ?? 10_000);
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.#unregisterMetrics?.();
    this.#unregisterMetrics = undefined;
    // In-flight actions get up to timeoutMs; one still running then does not hold close().
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.#actionsIdle(), deadline]);
    clearTimeout(timer);
    const reconnect = !this.options.destroyClientsOnShutdown;
    await Promise.allSettled([...this.connections.values()].map((connection) => connection.destroy({ reconnect })));
    this.sweeper.stop();
    this.chatRoom.rpc.close();
    if (this.primus) {
      const primus = this.primus;
      // Sparks were ended above; `reconnect: true` here would make Primus close the app's server.
      await new Promise<void>((resolve) => primus.destroy({ close: false }, () => resolve()));
      this.#restoreServerListeners();
    }
    await this.#started.catch(() => undefined);
    await Promise.allSettled([this.bus.close(), this.store.close()]);
  }

  /** Gives the app's server back its own listeners (Primus had put itself in front). */
  #restoreServerListeners(): void {
    const server = this.server;
    const before = this.#serverListeners;
    if (!server || !before) return;
    for (const event of ["request", "upgrade"] as const) {
      server.removeAllListeners(event);
      for (const listener of before[event]) server.on(event, listener as (...args: unknown[]) => void);
    }
  }

  stats(): Stats {
    return {
      nodeId: this.options.id,
      connections: this.connections.size,
      connectionsByTransport: this.connections.countByTransport(),
      localRooms: this.chatRoom.local.roomCount,
      actionsInFlight: this.actionsInFlight,
      store: { kind: this.store.kind, ready: this.store.ready },
      redis: this.#redisHealth(),
      ...this.counters.snapshot(),
      pendingRpc: this.chatRoom.rpc.pendingCount,
      closing: this.closing,
    };
  }
}
