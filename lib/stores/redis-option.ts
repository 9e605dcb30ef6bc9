export type { RedisOption } from "./redis-connection.js";
