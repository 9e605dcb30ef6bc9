/** The option schema: a check and its description per key, and the pass that applies it. */
import type { ActionheroWsOptions, HistoryOptions, LimitOptions, PrimusServerOptions } from "./option-types.js";
import type { MetricsOptions } from "./stats/prometheus-metrics.js";

export type Check = (value: unknown) => boolean;
export const isString: Check = (v) => typeof v === "string";
export const isBool: Check = (v) => typeof v === "boolean";
export const isPositiveInt: Check = (v) => Number.isInteger(v) && (v as number) > 0;
export const isNonNegativeInt: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
export const isPlainObject: Check = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

export const topLevel: Record<keyof ActionheroWsOptions, [Check, string]> = {
  enabled: [isBool, "a boolean"],
  redis: [(v) => v === undefined || isString(v) || isPlainObject(v), "a Redis URL, client options or a client"],
  redisPrefix: [isString, "a string"],
  redisStartTimeoutMs: [isPositiveInt, "a positive integer"],
  redisCommandTimeoutMs: [isPositiveInt, "a positive integer (ms)"],
  heartbeatMs: [isPositiveInt, "a positive integer (ms)"],
  nodeTtlMs: [isPositiveInt, "a positive integer (ms)"],
  secret: [(v) => v === undefined || (isString(v) && (v as string).length > 0), "a non-empty string"],
  actions: [Array.isArray, "an array of action definitions"],
  origins: [(v) => v === undefined || v === "*" || (Array.isArray(v) && v.every(isString)), 'an array of origins or "*"'],
  allowMissingOrigin: [isBool, "a boolean"],
  trustProxy: [isBool, "a boolean"],
  apiTimeoutMs: [isPositiveInt, "a positive integer (ms)"],
  server: [isPlainObject, "an http(s).Server or Primus server options"],
  client: [isPlainObject, "an object"],
  clientUrl: [isString, "a string"],
  clientJsPath: [isString, "a string"],
  clientJsName: [(v) => v === null || isString(v), "a string or null"],
  publicDir: [isString, "a string"],
  destroyClientsOnShutdown: [isBool, "a boolean"],
  cookieKey: [(v) => isString(v) && /^[\w.-]+$/.test(v as string), "a cookie name (letters, digits, _ . -)"],
  acceptSessionIdQuery: [isBool, "a boolean"],
  welcomeMessage: [isString, "a string"],
  simultaneousActions: [isPositiveInt, "a positive integer"],
  startingChatRooms: [isPlainObject, "an object of room names"],
  serverToken: [isString, "a string"],
  channel: [(v) => isString(v) && (v as string).length > 0, "a non-empty string"],
  channelMode: [(v) => v === "per-room" || v === "single", '"per-room" or "single"'],
  roomLingerMs: [isNonNegativeInt, "a non-negative integer (ms)"],
  subscriptionCheckMs: [isPositiveInt, "a positive integer (ms)"],
  rpcTimeout: [isPositiveInt, "a positive integer"],
  defaultMiddlewarePriority: [Number.isFinite as Check, "a number"],
  id: [(v) => isString(v) && (v as string).length > 0, "a non-empty string"],
  limits: [isPlainObject, "an object"],
  logger: [(v) => isPlainObject(v) && ["debug", "info", "warn", "error"].every((k) => typeof (v as Record<string, unknown>)[k] === "function"), "a logger with debug/info/warn/error"],
  metrics: [
    (v) => isPlainObject(v) && isPlainObject((v as MetricsOptions).registry)
      && typeof (v as MetricsOptions).registry.registerMetric === "function" && typeof (v as MetricsOptions).registry.removeSingleMetric === "function"
      && ((v as MetricsOptions).prefix === undefined || /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(String((v as MetricsOptions).prefix))),
    "{ registry: a prom-client Registry, prefix?: a metric name prefix }",
  ],
  history: [(v) => isBool(v) || isPlainObject(v), "true, false or { size, ttlMs, metaTtlMs }"],
  handshake: [(v) => Array.isArray(v) && v.every((fn) => typeof fn === "function"), "an array of Express middleware functions (req, res, next)"],
};

export const serverKeys: Record<keyof PrimusServerOptions, [Check, string]> = {
  transformer: [(v) => v === "socket.io" || v === "websockets" || v === "engine.io", '"socket.io", "websockets" or "engine.io"'],
  pathname: [(v) => isString(v) && (v as string).startsWith("/") && (v as string).length > 1, 'a path starting with "/"'],
  parser: [(v) => v === "json", '"json"'],
  pingInterval: [isPositiveInt, "a positive integer (ms)"],
  maxLength: [isPositiveInt, "a positive integer (bytes)"],
  compression: [isBool, "a boolean"],
  transport: [isPlainObject, "an object"],
};

export const limitKeys: Record<keyof LimitOptions, [Check, string]> = {
  messagesPerSecond: [isPositiveInt, "a positive integer"],
  messageBurst: [isPositiveInt, "a positive integer"],
  roomsPerConnection: [isPositiveInt, "a positive integer"],
  roomNameBytes: [isPositiveInt, "a positive integer"],
  messageIdLength: [isPositiveInt, "a positive integer"],
  outboundBufferBytes: [isPositiveInt, "a positive integer"],
  pendingHandshakesPerIp: [isPositiveInt, "a positive integer"],
  pendingHandshakes: [isPositiveInt, "a positive integer"],
  framesWhileOpening: [isPositiveInt, "a positive integer"],
};

export const historyKeys: Record<keyof HistoryOptions, [Check, string]> = {
  size: [isPositiveInt, "a positive integer (messages per room)"],
  ttlMs: [isPositiveInt, "a positive integer (ms)"],
  metaTtlMs: [isPositiveInt, "a positive integer (ms)"],
};

/** runCluster()'s options (lib/workers/run-cluster.ts), checked the same way. */
export const runnerKeys: Record<string, [Check, string]> = {
  app: [(v) => typeof v === "function", "a function returning { app, ws } (called in each worker)"],
  port: [(v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 65536, "a port number (0 picks a free one)"],
  host: [isString, "a host name or address"],
  workers: [isPositiveInt, "a positive integer"],
  startTimeoutMs: [isPositiveInt, "a positive integer (ms)"],
  shutdownTimeoutMs: [isPositiveInt, "a positive integer (ms)"],
  logger: topLevel.logger,
};

export function checkKeys(where: string, given: object, schema: Record<string, [Check, string]>): void {
  for (const [key, value] of Object.entries(given)) {
    const rule = schema[key];
    if (!rule) {
      throw new TypeError(`actionhero-ws: unknown option "${where}${key}" (known: ${Object.keys(schema).join(", ")})`);
    }
    if (value === undefined) continue;
    if (!rule[0](value)) throw new TypeError(`actionhero-ws: option "${where}${key}" must be ${rule[1]}`);
  }
}
