/**
 * The runtime behind the middleware: composes the parts (store and bus, cluster, chat,
 * actions, protocol, Primus transport) and runs their lifecycle (start, attach, close).
 * Each part owns its own job; this file only wires them (docs/architecture.md).
 */
import { EventEmitter } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as NetServer } from "node:net";
import type Primus from "primus";
import { resolveOptions, type ActionheroWsOptions, type ResolvedOptions } from "./options.js";
import { createLogger, type Logger } from "./logger.js";
import { ActionRegistry } from "./actions/action-registry.js";
import { ActionsInFlight } from "./actions/actions-in-flight.js";
import { ConnectionRegistry } from "./connection/connection-registry.js";
import { createStores } from "./stores/create-stores.js";
import type { RoomStore } from "./stores/room-store.js";
import type { MessageBus } from "./stores/message-bus.js";
import { ClusterRpc } from "./cluster/cluster-rpc.js";
import { routeBusMessages } from "./cluster/bus-router.js";
import { allowConnectionCommands } from "./cluster/connection-commands.js";
import { LivenessSweeper } from "./cluster/liveness-sweeper.js";
import { Membership } from "./chat/membership.js";
import { RoomSubscriptions } from "./chat/room-subscriptions.js";
import { ChatRoom } from "./chat/chat-room.js";
import { keepStoreRecovered } from "./chat/store-recovery.js";
import { FrameHandler } from "./protocol/frame-handler.js";
import { refusedNotice, resyncNotice, roomResyncNotice } from "./protocol/replies.js";
import { mountSocketServer, type MountedSocketServer } from "./transport/socket-server.js";
import { broadcastToRoom, roomMirror } from "./transport/room-broadcast.js";
import { primusOptions } from "./transport/primus-options.js";
import { transformerFor } from "./transport/transformer-choice.js";
import { generateAndWriteClient, type GeneratedClient } from "./client/client-generator.js";
import { RuntimeCounters } from "./stats/counters.js";
import { collectStats, type Stats, type StatsSources } from "./stats/stats.js";
import { registerPrometheusMetrics } from "./stats/prometheus-metrics.js";

export type AnyServer = HttpServer | HttpsServer;

export interface CloseOptions {
  /** How long in-flight actions may take to finish before sockets are ended. */
  timeoutMs?: number;
}

export class Runtime extends EventEmitter {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly counters = new RuntimeCounters();
  readonly connections = new ConnectionRegistry();
  readonly actions: ActionRegistry;
  readonly inFlight: ActionsInFlight;
  readonly store: RoomStore;
  readonly bus: MessageBus;
  readonly rpc: ClusterRpc;
  readonly membership: Membership;
  readonly subscriptions: RoomSubscriptions;
  readonly chatRoom: ChatRoom;
  readonly frames: FrameHandler;
  readonly sweeper: LivenessSweeper;
  #mounted: MountedSocketServer | undefined;
  #subscriptionCheck: NodeJS.Timeout | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  readonly #started: Promise<void>;
  readonly #client: Promise<GeneratedClient | undefined>;
  /** Removes our Prometheus metrics from the user's registry (set once registered). */
  #unregisterMetrics: (() => void) | undefined;

  constructor(input: ActionheroWsOptions | undefined) {
    super();
    const options = (this.options = resolveOptions(input));
    const logger = (this.logger = createLogger(options.logger));
    this.actions = new ActionRegistry(options.defaultMiddlewarePriority);
    for (const action of options.actions) this.actions.add(action);
    this.inFlight = new ActionsInFlight(options.simultaneousActions, () => this.#closing, (action, kind) => this.counters.action(action, kind));
    ({ store: this.store, bus: this.bus } = createStores(options, logger));
    for (const [name, part] of [["store", this.store], ["bus", this.bus]] as const) {
      part.on("error", (error: Error) => logger.warn({ err: error.message }, `actionhero-ws: ${name} error`));
    }
    this.bus.on("resync", () => {
      this.counters.pubsubReconnects++;
      // With history each room's gap is filled from it, and only a room it cannot cover is
      // told (gap-repair.ts); without, every client hears that messages may be gone.
      const gaps = this.chatRoom.delivery.gaps;
      if (gaps) gaps.resume([...this.membership.localRooms()]);
      else for (const connection of this.connections.values()) connection.sendMessage(resyncNotice());
    });

    this.rpc = new ClusterRpc(this.bus, options.id, options.serverToken, options.rpcTimeout, (id) => this.connections.has(id), logger);
    allowConnectionCommands(this.rpc, this.connections);
    const bus = this.bus;
    // Where this node stands in each room's offsets (gap-repair.ts) follows its subscription:
    // known from the first one, filled from the history after a repair, afresh after a release.
    this.subscriptions = new RoomSubscriptions(bus, options.roomLingerMs, logger, {
      followed: (room) => this.chatRoom.delivery.gaps?.follow(room),
      released: (room) => this.chatRoom.delivery.gaps?.forget(room),
      repaired: (rooms) => this.chatRoom.delivery.gaps?.resume(rooms),
    });
    this.membership = new Membership(this.store, roomMirror, this.subscriptions);
    this.chatRoom = new ChatRoom({
      store: this.store,
      bus: this.bus,
      membership: this.membership,
      connections: this.connections,
      rpc: this.rpc,
      settings: options,
      logger,
      deliver: (members, frame, room) => {
        if (this.primus) broadcastToRoom(this.primus, members, frame, room);
      },
      notifyLost: (members, room) => {
        for (const connection of members) connection.sendMessage(roomResyncNotice(room));
      },
    });
    routeBusMessages(this.bus, options.serverToken, { chat: (message) => this.chatRoom.delivery.receive(message), rpc: this.rpc }, logger);
    this.connections.setLifecycle({
      welcome: { welcome: options.welcomeMessage, context: "api" },
      opened: (connection) => this.emit("connection", connection),
      welcomed: (connection) => this.frames.release(connection),
      refusal: refusedNotice,
      refused: (connection, error) => logger.info({ connection: connection.id, remoteIP: connection.remoteIP, err: String(error) }, "actionhero-ws: a connection middleware refused a connection"),
      destroyFailed: (connection, middleware, error) => logger.warn({ connection: connection.id, middleware, err: String(error) }, "actionhero-ws: a connection middleware's destroy failed"),
      leaving: (connection) => this.chatRoom.removeConnection(connection),
      closed: (connection) => this.emit("disconnection", connection),
      everyNode: (command, selector, message) => this.rpc.everyNode(`api.connections.${command}Where`, [selector, message]),
    }, options.defaultMiddlewarePriority);
    this.frames = new FrameHandler({
      actions: this.actions,
      chat: this.chatRoom,
      processor: this.inFlight,
      logger,
      settings: options,
      counters: this.counters,
    });
    this.sweeper = new LivenessSweeper(this.store, (room, ghost) => this.chatRoom.announceGhostLeave(room, ghost), logger, options.heartbeatMs);

    this.#client = options.enabled && options.clientJsName
      ? generateAndWriteClient(options, primusOptions(options, transformerFor(options.server.transformer)))
      : Promise.resolve(undefined);
    this.#started = this.#start();
    // Failures reach ready() callers and the `error` event; never an unhandled rejection.
    this.#started.catch((error: Error) => {
      logger.error({ err: error.message }, "actionhero-ws: start failed");
      if (this.listenerCount("error") > 0) this.emit("error", error);
    });
    this.#client.catch(() => undefined);
    if (options.httpServer) this.attach(options.httpServer);
  }

  get primus(): Primus | undefined {
    return this.#mounted?.primus;
  }

  get closing(): boolean {
    return this.#closing;
  }

  async #start(): Promise<void> {
    if (!this.options.enabled) return;
    const { store, membership, connections, logger, options } = this;
    await Promise.all([store.start(), this.bus.start(), this.#startMetrics()]);
    await keepStoreRecovered({ store, membership, connections, nodeId: options.id, logger }, Object.keys(options.startingChatRooms));
    // close() may have begun while the store was connecting.
    if (!this.#closing) {
      this.sweeper.start();
      this.#subscriptionCheck = setInterval(() => void this.subscriptions.check(), options.subscriptionCheckMs);
      this.#subscriptionCheck.unref();
    }
    await this.#client;
  }

  async #startMetrics(): Promise<void> {
    if (!this.options.metrics) return;
    const unregister = await registerPrometheusMetrics(this.options.metrics, this.#sources());
    // close() may have run while prom-client was loading.
    if (this.#closing) unregister();
    else this.#unregisterMetrics = unregister;
  }

  ready(): Promise<void> {
    return this.#started;
  }

  client(): Promise<GeneratedClient | undefined> {
    return this.#client;
  }

  /** Whether attach() would mount now (for the HTTP side's lazy attach). */
  canAttach(): boolean {
    return this.options.enabled && !this.#closing && !this.#mounted;
  }

  attach(server: AnyServer): void {
    if (!this.options.enabled || this.#closing) return;
    if (!(server instanceof NetServer)) throw new TypeError("actionhero-ws: attach() needs an http or https server");
    if (this.#mounted?.server === server) return;
    if (this.#mounted) throw new Error("actionhero-ws: already attached to another server; create one actionheroWs() per server");
    this.#mounted = mountSocketServer(server, this.options, this.logger, this.counters, {
      connected: (connection, request) => this.connections.open(connection, request),
      data: (connection, data) => void this.frames.handle(connection, data),
      invalidFrame: (connection) => this.frames.undecodable(connection),
      isClosing: () => this.#closing,
    });
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.connections.refuseNew();
    this.#unregisterMetrics?.();
    this.#unregisterMetrics = undefined;
    await this.inFlight.idle(timeoutMs);
    await this.connections.closeAll(!this.options.destroyClientsOnShutdown);
    this.sweeper.stop();
    clearInterval(this.#subscriptionCheck);
    this.subscriptions.close();
    this.rpc.close();
    await this.#mounted?.unmount();
    await this.#started.catch(() => undefined);
    await Promise.allSettled([this.bus.close(), this.store.close()]);
  }

  stats(): Stats {
    return collectStats(this.#sources());
  }

  /** What stats() and the metrics read, each from its owner. */
  #sources(): StatsSources {
    return {
      nodeId: this.options.id,
      counters: this.counters,
      connections: this.connections,
      membership: this.membership,
      subscriptions: this.subscriptions,
      actions: this.inFlight,
      store: this.store,
      bus: this.bus,
      rpc: this.rpc,
      closing: () => this.#closing,
    };
  }
}
