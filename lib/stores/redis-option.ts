/**
 * The `redis` option and the node-redis client shapes it accepts: a URL, client options or a
 * client for one Redis, `{ cluster }` options or a cluster client for Redis Cluster; and the
 * settings every guarded connection takes (redis-connection.ts, redis-cluster-connection.ts).
 */
import type { createClient, createCluster, RedisClientOptions, RedisClusterOptions } from "redis";

/** The client type we program against (replies in node-redis' default type mapping). */
export type NodeRedisClient = ReturnType<typeof createClient>;

/**
 * Any node-redis v6 client instance, whatever its modules, RESP version or type mapping.
 * Structural on purpose: node-redis' generic client types are invariant, so no single
 * nominal type accepts every `createClient()` result.
 */
export interface NodeRedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  duplicate(overrides?: Partial<RedisClientOptions>): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The `redis` option: a URL, node-redis client options, or a client the user owns; for
 * Redis Cluster `{ cluster: <node-redis cluster options> }` or a cluster client.
 */
export type RedisOption = string | RedisClientOptions | NodeRedisClientLike | RedisClusterOption | NodeRedisClusterLike;

export interface RedisConnectionOptions {
  /** `start()` rejects when the client is not ready within this time (option `redisStartTimeoutMs`). */
  startTimeoutMs: number;
  /** A command rejects when Redis has not answered within this time (option `redisCommandTimeoutMs`). */
  commandTimeoutMs: number;
  /** Where errors go when no `error` listener is attached. Default `console.warn`. */
  log?: (message: string) => void;
}

export type NodeRedisCluster = ReturnType<typeof createCluster>;

/** `redis: { cluster: {...} }`: node-redis cluster options (`rootNodes` at least). */
export interface RedisClusterOption {
  cluster: RedisClusterOptions;
}

/** Any node-redis v6 cluster client (structural, as NodeRedisClientLike). */
export interface NodeRedisClusterLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  getMasters(): unknown;
  sSubscribe(...args: never[]): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

export function isClusterOption(value: unknown): value is RedisClusterOption | NodeRedisClusterLike {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Record<"cluster" | "sSubscribe" | "getMasters", unknown>>;
  return (typeof candidate.cluster === "object" && candidate.cluster !== null) ||
    (typeof candidate.sSubscribe === "function" && typeof candidate.getMasters === "function");
}
