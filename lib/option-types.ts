/**
 * The option types: what a user may pass (`ActionheroWsOptions`) and what the runtime reads
 * once defaults are filled in (`ResolvedOptions`). Defaults and the resolving pass are in
 * options.ts, the checks in option-checks.ts. Names follow Actionhero's `config.websocket`
 * and `config.general` so its users find what they know.
 */
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { ActionDefinition } from "./actions/action.js";
import type { Logger } from "./logger.js";
import type { RedisOption } from "./stores/redis-option.js";
import type { HistorySettings } from "./stores/room-history.js";
import type { ChannelMode } from "./stores/bus-channels.js";
import type { MetricsOptions } from "./stats/prometheus-metrics.js";
import type { HandshakeMiddleware } from "./connection/connection-middleware.js";

/** Primus server options (`config.websocket.server` in Actionhero). */
export interface PrimusServerOptions {
  /** "socket.io" (ours, default), "websockets" or "engine.io" (Primus's own). */
  transformer?: "socket.io" | "websockets" | "engine.io";
  pathname?: string;
  parser?: "json";
  /** Primus heartbeat; the client declares the link dead after 1.5x this. */
  pingInterval?: number;
  /** Largest inbound message in bytes (websocket frame or polling body). */
  maxLength?: number;
  compression?: boolean;
  /** Passed to the engine under the transformer (engine.io / ws options). */
  transport?: Record<string, unknown>;
}

/** Client options baked into the generated client (`config.websocket.client`). */
export interface ClientDefaults {
  apiPath?: string;
  cookieKey?: string;
  /** Request timeout in ms for the generated client (0 disables). */
  requestTimeout?: number;
  [primusClientOption: string]: unknown;
}

export interface LimitOptions {
  /** Sustained inbound messages per second per connection (token bucket refill rate). */
  messagesPerSecond?: number;
  /** Bucket size: how many messages may arrive at once. */
  messageBurst?: number;
  /** Rooms one connection may be in at once. */
  roomsPerConnection?: number;
  /** Longest room name, in UTF-8 bytes. */
  roomNameBytes?: number;
  /** Longest client-chosen string messageId. */
  messageIdLength?: number;
  /** Outbound bytes buffered for one connection before it is closed as too slow. */
  outboundBufferBytes?: number;
  /** Pending polling handshakes (see README) from one client address; more get 429. */
  pendingHandshakesPerIp?: number;
  /** Pending polling handshakes on this node; more get 503. */
  pendingHandshakes?: number;
  /** Frames a connection may send while its connection middleware runs (they wait); more get an error. */
  framesWhileOpening?: number;
}

export interface ActionheroWsOptions {
  enabled?: boolean;
  /** Redis URL, node-redis client options, or a connected node-redis client. Omit for the embedded store. */
  redis?: RedisOption;
  /** Key prefix in Redis (Actionhero: `actionhero:`). */
  redisPrefix?: string;
  /** Milliseconds allowed for Redis to become ready at start. */
  redisStartTimeoutMs?: number;
  /** A Redis command fails when Redis has not answered within this many milliseconds. */
  redisCommandTimeoutMs?: number;
  /** Redis store: how often this node refreshes its liveness key and sweeps members of dead nodes. */
  heartbeatMs?: number;
  /** Redis store: a node silent this long is dead and its members are removed (> heartbeatMs). */
  nodeTtlMs?: number;
  /** Signs the fingerprint cookie. */
  secret?: string;
  actions?: ActionDefinition[];
  /** Allowed browser origins; default same origin only; "*" allows any. */
  origins?: string[] | "*";
  /** Allow handshakes without an Origin header (non-browser clients). */
  allowMissingOrigin?: boolean;
  /** Behind a TLS-terminating proxy: believe X-Forwarded-Proto/-Host (origin check, Secure cookie) and -For (handshake limits). */
  trustProxy?: boolean;
  /** Milliseconds an `/api` request body may take to arrive; then 408 and the connection is closed. */
  apiTimeoutMs?: number;
  /** Attach to this server now, or Primus server options (Actionhero's `server`). */
  server?: HttpServer | HttpsServer | PrimusServerOptions;
  client?: ClientDefaults;
  clientUrl?: string;
  clientJsPath?: string;
  clientJsName?: string | null;
  /** Where the client is written and where the `file` verb reads from. */
  publicDir?: string;
  destroyClientsOnShutdown?: boolean;
  cookieKey?: string;
  /** Honour `?<cookieKey>=` on the socket URL as Actionhero does (client-asserted). */
  acceptSessionIdQuery?: boolean;
  welcomeMessage?: string;
  simultaneousActions?: number;
  startingChatRooms?: Record<string, Record<string, unknown>>;
  serverToken?: string;
  channel?: string;
  /** `"per-room"`: a node receives only its rooms' messages; `"single"`: Actionhero's one channel (mixed clusters). */
  channelMode?: ChannelMode;
  /** How long a room stays subscribed after its last local member left. */
  roomLingerMs?: number;
  /** How often every subscribed room is checked to really receive its channel (repaired if not). */
  subscriptionCheckMs?: number;
  rpcTimeout?: number;
  defaultMiddlewarePriority?: number;
  /** This node's id in the cluster. */
  id?: string;
  limits?: LimitOptions;
  logger?: Logger;
  /** Prometheus metrics into this prom-client registry (prom-client is then imported). */
  metrics?: MetricsOptions;
  /** Express middleware run on every socket handshake (e.g. `[session, passport.session()]`). */
  handshake?: HandshakeMiddleware[];
  /**
   * Room history and recovery after a reconnect (README, "History and recovery"): `true`
   * (the default) for `{ size: 100, ttlMs: 300000 }`, an object to bound it, `false` for none.
   */
  history?: boolean | HistoryOptions;
}

export interface HistoryOptions {
  /** messages kept per room */
  size?: number;
  /** how long a message stays recoverable (ms) */
  ttlMs?: number;
  /** how long a silent room keeps its offsets and epoch (ms) */
  metaTtlMs?: number;
}

export interface ResolvedOptions {
  enabled: boolean;
  redis: RedisOption | undefined;
  redisPrefix: string;
  redisStartTimeoutMs: number;
  redisCommandTimeoutMs: number;
  heartbeatMs: number;
  nodeTtlMs: number;
  secret: string | undefined;
  actions: ActionDefinition[];
  origins: string[] | "*" | undefined;
  allowMissingOrigin: boolean;
  trustProxy: boolean;
  apiTimeoutMs: number;
  httpServer: HttpServer | HttpsServer | undefined;
  server: Required<Omit<PrimusServerOptions, "transport">> & { transport: Record<string, unknown> };
  client: ClientDefaults & { apiPath: string; cookieKey: string; requestTimeout: number };
  clientUrl: string;
  clientJsPath: string;
  clientJsName: string | null;
  publicDir: string;
  destroyClientsOnShutdown: boolean;
  cookieKey: string;
  acceptSessionIdQuery: boolean;
  welcomeMessage: string;
  simultaneousActions: number;
  startingChatRooms: Record<string, Record<string, unknown>>;
  serverToken: string;
  channel: string;
  channelMode: ChannelMode;
  roomLingerMs: number;
  subscriptionCheckMs: number;
  rpcTimeout: number;
  defaultMiddlewarePriority: number;
  id: string;
  limits: Required<LimitOptions>;
  logger: Logger | undefined;
  metrics: (MetricsOptions & { prefix: string }) | undefined;
  handshake: HandshakeMiddleware[];
  /** Largest file the `file` verb sends (not an option: base64 frames past it are unreasonable). */
  maxFileBytes: number;
  /** How long close() lets in-flight actions finish when the caller gives no `timeoutMs`. */
  closeTimeoutMs: number;
  /** Redis bus: a chat message must reach a node within this of its publish, else it is dropped (redis-message-bus.ts). */
  chatDeliveryWindowMs: number;
  history: HistorySettings | false;
}
