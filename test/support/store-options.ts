/** Store and bus options as the runtime passes them: the defaults of lib/options.ts, plus the test's own. */
import { randomUUID } from "node:crypto";
import { defaults, resolveOptions } from "../../lib/options.js";
import type { RedisRoomStoreOptions } from "../../lib/stores/redis-room-store.js";
import type { RedisMessageBusOptions } from "../../lib/stores/redis-message-bus.js";
import type { RedisOption } from "../../lib/stores/redis-connection.js";

const connection = { startTimeoutMs: defaults.redisStartTimeoutMs, commandTimeoutMs: defaults.redisCommandTimeoutMs };

export function storeOptions(redis: RedisOption, extra: Partial<RedisRoomStoreOptions> = {}): RedisRoomStoreOptions {
  const heartbeatMs = extra.heartbeatMs ?? defaults.heartbeatMs;
  return {
    redis,
    prefix: defaults.redisPrefix,
    nodeId: randomUUID(),
    heartbeatMs,
    nodeTtlMs: Math.max(defaults.minNodeTtlMs, heartbeatMs * 3),
    ...connection,
    ...extra,
  };
}

export function busOptions(redis: RedisOption, extra: Partial<RedisMessageBusOptions> = {}): RedisMessageBusOptions {
  const window = extra.chatDeliveryWindowMs ?? resolveOptions().chatDeliveryWindowMs;
  return { redis, channel: defaults.channel, mode: defaults.channelMode, nodeId: randomUUID(), ...connection, ...extra, chatDeliveryWindowMs: window };
}
