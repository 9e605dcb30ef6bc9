/**
 * Picks the store and bus: Redis when `redis` is given (Redis Cluster with sharded pub/sub
 * when it is `{ cluster }` or a cluster client), else the embedded in-memory pair.
 */
import type { Logger } from "../logger.js";
import type { RoomStore } from "./room-store.js";
import type { MessageBus } from "./message-bus.js";
import type { RedisOption } from "./redis-connection.js";
import type { ChannelMode } from "./bus-channels.js";
import { MemoryRoomStore } from "./memory-room-store.js";
import { MemoryMessageBus } from "./memory-message-bus.js";
import { RedisRoomStore } from "./redis-room-store.js";
import { RedisMessageBus } from "./redis-message-bus.js";
import { RedisClusterMessageBus } from "./redis-cluster-message-bus.js";
import { isClusterOption } from "./redis-cluster-connection.js";
import type { HistorySettings } from "./room-history.js";

/** The resolved options the stores read (their defaults are in options.ts). */
export interface StoreSettings {
  redis: RedisOption | undefined;
  redisPrefix: string;
  redisStartTimeoutMs: number;
  redisCommandTimeoutMs: number;
  heartbeatMs: number;
  nodeTtlMs: number;
  channel: string;
  channelMode: ChannelMode;
  id: string;
  chatDeliveryWindowMs: number;
  history: HistorySettings | false;
}

export function createStores(settings: StoreSettings, logger: Logger): { store: RoomStore; bus: MessageBus } {
  if (settings.redis === undefined) return { store: new MemoryRoomStore(), bus: new MemoryMessageBus({ history: settings.history }) };
  const log = (message: string) => logger.warn(message);
  const common = { redis: settings.redis, startTimeoutMs: settings.redisStartTimeoutMs, commandTimeoutMs: settings.redisCommandTimeoutMs, log };
  let bus: MessageBus;
  if (isClusterOption(settings.redis)) {
    // Actionhero's nodes speak classic pub/sub only, which a cluster broadcasts to every node.
    if (settings.channelMode === "single") throw new TypeError('actionhero-ws: option "channelMode" cannot be "single" on Redis Cluster (sharded pub/sub is per room)');
    bus = new RedisClusterMessageBus({ ...common, redis: settings.redis, channel: settings.channel, nodeId: settings.id, chatDeliveryWindowMs: settings.chatDeliveryWindowMs, history: settings.history, prefix: settings.redisPrefix });
  } else {
    bus = new RedisMessageBus({ ...common, channel: settings.channel, mode: settings.channelMode, nodeId: settings.id, chatDeliveryWindowMs: settings.chatDeliveryWindowMs, history: settings.history, prefix: settings.redisPrefix });
  }
  return {
    bus,
    store: new RedisRoomStore({ ...common, prefix: settings.redisPrefix, nodeId: settings.id, heartbeatMs: settings.heartbeatMs, nodeTtlMs: settings.nodeTtlMs }),
  };
}
