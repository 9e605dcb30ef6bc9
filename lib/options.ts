/**
 * Options: one literal defaults object, then one validation pass (the checks are in
 * option-checks.ts, the types in option-types.ts).
 */

export type { ActionheroWsOptions, ClientDefaults, HistoryOptions, LimitOptions, PrimusServerOptions, ResolvedOptions } from "./option-types.js";
import { Server as NetServer } from "node:net";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { actionDefinitionProblem } from "./actions/action.js";
import type { ActionheroWsOptions, PrimusServerOptions, ResolvedOptions } from "./option-types.js";
import { assertRoomName } from "./chat/room-name.js";
import { checkKeys, historyKeys, isNonNegativeInt, isPlainObject, isString, limitKeys, serverKeys, topLevel } from "./option-checks.js";
import type { HistoryOptions } from "./option-types.js";
import type { HistorySettings } from "./stores/room-history.js";


/**
 * Every default, once. Other modules take resolved values and state none of their own.
 * `nodeTtlMs` is derived: at least 15 s and three heartbeats.
 */
export const defaults = {
  enabled: true,
  redisPrefix: "actionhero:",
  redisStartTimeoutMs: 10_000,
  redisCommandTimeoutMs: 1_500,
  heartbeatMs: 5_000,
  minNodeTtlMs: 15_000,
  allowMissingOrigin: true,
  trustProxy: false,
  // The generated client gives up on a request after 30 s (client.requestTimeout) anyway.
  apiTimeoutMs: 30_000,
  server: {
    transformer: "socket.io",
    pathname: "/primus",
    parser: "json",
    pingInterval: 25_000,
    maxLength: 64 * 1024,
    compression: false,
  },
  apiPath: "/api",
  requestTimeout: 30_000,
  clientUrl: "window.location.origin",
  clientJsPath: "javascript/",
  clientJsName: "ActionheroWebsocketClient",
  publicDir: "public",
  destroyClientsOnShutdown: false,
  cookieKey: "sessionID",
  acceptSessionIdQuery: false,
  welcomeMessage: "Welcome to the actionhero api",
  simultaneousActions: 5,
  serverToken: "change-me",
  channel: "actionhero",
  channelMode: "per-room",
  // Join/leave churn then costs no SUBSCRIBE per pair; the issue bounds it at 30 s.
  roomLingerMs: 10_000,
  subscriptionCheckMs: 30_000,
  rpcTimeout: 5_000,
  defaultMiddlewarePriority: 100,
  limits: {
    messagesPerSecond: 50,
    messageBurst: 100,
    roomsPerConnection: 100,
    roomNameBytes: 256,
    messageIdLength: 128,
    outboundBufferBytes: 1024 * 1024,
    // A pending handshake holds about 8 KiB for up to pingInterval + 20 s; a real client
    // leaves that state within one round trip. 100 per address lets a NAT's worth of
    // clients reconnect at once (an attacker's share: 800 KiB); 2000 caps a node at 16 MiB.
    pendingHandshakesPerIp: 100,
    pendingHandshakes: 2000,
    // The generated client sends a roomAdd per room it re-joins and a detailsView on open.
    framesWhileOpening: 32,
  },
  // On: issue 14 asks for recovery by default; `history: false` costs nothing (README,
  // "History and recovery"). `history: true` takes the same bounds.
  history: true,
  historySize: 100,
  historyTtlMs: 300_000,
  // A quiet room keeps its epoch a day, so a client idle there still recovers (nothing missed).
  historyMetaTtlMs: 86_400_000,
  metricsPrefix: "ahws_",
  maxFileBytes: 10 * 1024 * 1024,
  closeTimeoutMs: 10_000,
  // What the chat delivery deadline leaves between itself and the publish timeout: room for
  // the nodes' clocks to disagree (README, "Running several nodes").
  chatDeadlineMarginMs: 500,
} as const;

/** Defaults of runCluster() (lib/workers/); `workers` is the machine's core count, read when it runs. */
export const runnerDefaults = {
  port: 8080,
  // a worker's start includes Redis (redisStartTimeoutMs) and writing the client
  startTimeoutMs: 30_000,
  shutdownTimeoutMs: 10_000,
  // the largest request head the primary reads to route a connection (Node's own maxHeaderSize)
  maxHeadBytes: 16 * 1024,
  // a request body the primary holds before handing the connection over (polling bodies are at most server.maxLength)
  maxBodyBytes: 1024 * 1024,
  headTimeoutMs: 10_000,
  // a worker that dies sooner than this after starting is replaced after restartDelayMs, not at once
  crashLoopMs: 5_000,
  restartDelayMs: 1_000,
} as const;

function defaultNodeId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** Merges defaults and validates; throws a TypeError naming the offending key. */
export function resolveOptions(input: ActionheroWsOptions = {}): ResolvedOptions {
  if (!isPlainObject(input)) throw new TypeError("actionhero-ws: options must be an object");
  const { server, ...rest } = input;
  const httpServer = server instanceof NetServer ? (server as HttpServer | HttpsServer) : undefined;
  const primusOptions = httpServer ? {} : ((server ?? {}) as PrimusServerOptions);
  checkKeys("", rest, topLevel);
  if (server !== undefined && !httpServer) {
    // `server` is taken out of `rest` above, so its own type is checked here.
    if (!isPlainObject(server)) throw new TypeError(`actionhero-ws: option "server" must be ${topLevel.server[1]}`);
    checkKeys("server.", primusOptions, serverKeys);
  }
  if (input.limits) checkKeys("limits.", input.limits, limitKeys);
  if (isPlainObject(input.history)) checkKeys("history.", input.history as object, historyKeys);
  if (input.client) {
    const c = input.client;
    if (c.apiPath !== undefined && !(isString(c.apiPath) && c.apiPath.startsWith("/"))) {
      throw new TypeError('actionhero-ws: option "client.apiPath" must be a path starting with "/"');
    }
    if (c.requestTimeout !== undefined && !isNonNegativeInt(c.requestTimeout)) {
      throw new TypeError('actionhero-ws: option "client.requestTimeout" must be a non-negative integer (ms)');
    }
  }
  for (const room of Object.keys(input.startingChatRooms ?? {})) {
    try {
      assertRoomName(room, input.limits?.roomNameBytes ?? defaults.limits.roomNameBytes);
    } catch (error) {
      throw new TypeError(`actionhero-ws: option "startingChatRooms": ${(error as Error).message}`);
    }
  }
  (input.actions ?? []).forEach((action, i) => {
    const problem = actionDefinitionProblem(action);
    const name = (action as { name?: unknown } | null)?.name;
    const named = typeof name === "string" && name !== "" ? ` (action "${name}")` : "";
    if (problem) throw new TypeError(`actionhero-ws: option "actions[${i}]"${named} ${problem}`);
  });

  const heartbeatMs = input.heartbeatMs ?? defaults.heartbeatMs;
  const nodeTtlMs = input.nodeTtlMs ?? Math.max(defaults.minNodeTtlMs, heartbeatMs * 3);
  if (nodeTtlMs <= heartbeatMs) throw new TypeError('actionhero-ws: option "nodeTtlMs" must be greater than "heartbeatMs"');

  const d = defaults;
  const cookieKey = input.cookieKey ?? d.cookieKey;
  const limits = input.limits ?? {};
  return {
    enabled: input.enabled ?? d.enabled,
    redis: input.redis,
    redisPrefix: input.redisPrefix ?? d.redisPrefix,
    redisStartTimeoutMs: input.redisStartTimeoutMs ?? d.redisStartTimeoutMs,
    redisCommandTimeoutMs: input.redisCommandTimeoutMs ?? d.redisCommandTimeoutMs,
    heartbeatMs,
    nodeTtlMs,
    secret: input.secret,
    actions: input.actions ?? [],
    origins: input.origins,
    allowMissingOrigin: input.allowMissingOrigin ?? d.allowMissingOrigin,
    trustProxy: input.trustProxy ?? d.trustProxy,
    apiTimeoutMs: input.apiTimeoutMs ?? d.apiTimeoutMs,
    httpServer,
    server: {
      transformer: primusOptions.transformer ?? d.server.transformer,
      pathname: primusOptions.pathname ?? d.server.pathname,
      parser: d.server.parser,
      pingInterval: primusOptions.pingInterval ?? d.server.pingInterval,
      maxLength: primusOptions.maxLength ?? d.server.maxLength,
      compression: primusOptions.compression ?? d.server.compression,
      transport: primusOptions.transport ?? {},
    },
    client: { ...input.client, apiPath: input.client?.apiPath ?? d.apiPath, cookieKey, requestTimeout: input.client?.requestTimeout ?? d.requestTimeout },
    clientUrl: input.clientUrl ?? d.clientUrl,
    clientJsPath: input.clientJsPath ?? d.clientJsPath,
    clientJsName: input.clientJsName === undefined ? d.clientJsName : input.clientJsName,
    publicDir: resolve(input.publicDir ?? d.publicDir),
    destroyClientsOnShutdown: input.destroyClientsOnShutdown ?? d.destroyClientsOnShutdown,
    cookieKey,
    acceptSessionIdQuery: input.acceptSessionIdQuery ?? d.acceptSessionIdQuery,
    welcomeMessage: input.welcomeMessage ?? d.welcomeMessage,
    simultaneousActions: input.simultaneousActions ?? d.simultaneousActions,
    startingChatRooms: input.startingChatRooms ?? {},
    serverToken: input.serverToken ?? d.serverToken,
    channel: input.channel ?? d.channel,
    channelMode: input.channelMode ?? d.channelMode,
    roomLingerMs: input.roomLingerMs ?? d.roomLingerMs,
    subscriptionCheckMs: input.subscriptionCheckMs ?? d.subscriptionCheckMs,
    rpcTimeout: input.rpcTimeout ?? d.rpcTimeout,
    defaultMiddlewarePriority: input.defaultMiddlewarePriority ?? d.defaultMiddlewarePriority,
    id: input.id ?? defaultNodeId(),
    limits: { ...d.limits, ...definedOnly(limits) },
    logger: input.logger,
    metrics: input.metrics && { ...input.metrics, prefix: input.metrics.prefix ?? d.metricsPrefix },
    handshake: input.handshake ?? [],
    maxFileBytes: d.maxFileBytes,
    closeTimeoutMs: d.closeTimeoutMs,
    history: resolveHistory(input.history ?? d.history),
    chatDeliveryWindowMs: deliveryWindow(input.redisCommandTimeoutMs ?? d.redisCommandTimeoutMs),
  };
}

function resolveHistory(history: boolean | HistoryOptions): HistorySettings | false {
  if (history === false) return false;
  const given = history === true ? {} : history;
  return {
    size: given.size ?? defaults.historySize,
    ttlMs: given.ttlMs ?? defaults.historyTtlMs,
    metaTtlMs: given.metaTtlMs ?? defaults.historyMetaTtlMs,
  };
}

/** The publish timeout minus the margin (a third of the timeout when that is less than the margin). */
function deliveryWindow(commandTimeoutMs: number): number {
  return commandTimeoutMs - Math.min(defaults.chatDeadlineMarginMs, Math.floor(commandTimeoutMs / 3));
}

/** The keys of `value` whose value is not undefined (so a spread keeps the defaults for the rest). */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
