/** Picks the store and bus: Redis when `redis` is given, else the embedded in-memory pair. */
import type { ResolvedOptions } from "../options.js";
import type { Logger } from "../logger.js";
import type { RoomStore } from "./room-store.js";
import type { MessageBus } from "./message-bus.js";
import { MemoryRoomStore } from "./memory-room-store.js";
import { MemoryMessageBus } from "./memory-message-bus.js";
import { RedisRoomStore } from "./redis-room-store.js";
import { RedisMessageBus } from "./redis-message-bus.js";

export function createStores(options: ResolvedOptions, logger: Logger): { store: RoomStore; bus: MessageBus } {
  if (options.redis === undefined) return { store: new MemoryRoomStore(), bus: new MemoryMessageBus() };
  const log = (message: string) => logger.warn(message);
  const common = { redis: options.redis, startTimeoutMs: options.redisStartTimeoutMs, log };
  return {
    store: new RedisRoomStore({ ...common, prefix: options.redisPrefix, nodeId: options.id, heartbeatMs: options.heartbeatMs, nodeTtlMs: options.nodeTtlMs }),
    bus: new RedisMessageBus({ ...common, channel: options.channel }),
  };
}
