/** Picks the store and bus: Redis when `redis` is given, else the embedded in-memory pair. */
import type { Logger } from "../logger.js";
import type { RoomStore } from "./room-store.js";
import type { MessageBus } from "./message-bus.js";
import type { RedisOption } from "./redis-connection.js";
import { MemoryRoomStore } from "./memory-room-store.js";
import { MemoryMessageBus } from "./memory-message-bus.js";
import { RedisRoomStore } from "./redis-room-store.js";
import { RedisMessageBus } from "./redis-message-bus.js";

/** The resolved options the stores read (their defaults are in options.ts). */
export interface StoreSettings {
  redis: RedisOption | undefined;
  redisPrefix: string;
  redisStartTimeoutMs: number;
  redisCommandTimeoutMs: number;
  heartbeatMs: number;
  nodeTtlMs: number;
  channel: string;
  id: string;
  chatDeliveryWindowMs: number;
}

export function createStores(settings: StoreSettings, logger: Logger): { store: RoomStore; bus: MessageBus } {
  if (settings.redis === undefined) return { store: new MemoryRoomStore(), bus: new MemoryMessageBus() };
  const log = (message: string) => logger.warn(message);
  const common = { redis: settings.redis, startTimeoutMs: settings.redisStartTimeoutMs, commandTimeoutMs: settings.redisCommandTimeoutMs, log };
  return {
    store: new RedisRoomStore({ ...common, prefix: settings.redisPrefix, nodeId: settings.id, heartbeatMs: settings.heartbeatMs, nodeTtlMs: settings.nodeTtlMs }),
    bus: new RedisMessageBus({ ...common, channel: settings.channel, chatDeliveryWindowMs: settings.chatDeliveryWindowMs }),
  };
}
