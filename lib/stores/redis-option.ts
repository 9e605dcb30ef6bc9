import type { RedisClientOptions, RedisClientType } from "redis";

/** What `redis:` accepts: a URL, node-redis client options, or a client the app created. */
export type RedisOption = string | RedisClientOptions | RedisClientType;
