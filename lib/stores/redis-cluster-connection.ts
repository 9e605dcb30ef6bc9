/**
 * One guarded node-redis Redis Cluster client (`createCluster`), with the guarantees
 * redis-connection.ts gives a single client: bounded start, an `error` listener always, a
 * command that fails fast while the cluster is not ready and is bounded in time. Start-up
 * also checks every master runs Redis >= 7 (sharded pub/sub, README "Redis Cluster").
 *
 * Our own cluster client refreshes its topology 1 s after a node starts reconnecting
 * (node-redis waits 5 s, which sets the outage after a failover; issue 15 measured ~1 s at
 * 3.3-4.3 s instead of 5.3 s). A user's cluster client keeps its own settings.
 *
 * Outages are reported as redis-connection.ts does, so starting rooms, members and
 * clients recover the same way (store-recovery.ts, the bus's `resync`): `down` when a
 * node's connection drops (node-redis only says so per node), `ready` (true) once the
 * cluster is ready again and every master answers PING, checked every
 * RECOVERY_CHECK_MS (a failover takes seconds: README, "Redis Cluster").
 *
 * Events: `error` (Error; logged instead when nobody listens), `ready` (reconnected:
 * boolean — false after `start()`, true after an outage), `down` (Error).
 */
import { EventEmitter } from "node:events";
import { createCluster, TimeoutError, type RedisClusterOptions } from "redis";
import { isConnectionError, reasonOf, RedisUnavailableError } from "./redis-errors.js";
import { emitErrorSafely } from "./redis-errors.js";
import type { NodeRedisClient, NodeRedisCluster, NodeRedisClusterLike, RedisClusterOption, RedisConnectionOptions } from "./redis-option.js";
export { isClusterOption } from "./redis-option.js";
export type { NodeRedisCluster, NodeRedisClusterLike, RedisClusterOption } from "./redis-option.js";

const TOPOLOGY_REFRESH_MS = 1_000;
const MIN_REDIS_MAJOR = 7;
const RECOVERY_CHECK_MS = 250;

export class RedisClusterConnection extends EventEmitter {
  readonly where: string;
  readonly owned: boolean;
  readonly cluster: NodeRedisCluster;
  readonly #options: RedisConnectionOptions;
  #state: "idle" | "up" | "down" | "closed" = "idle";
  #lastError: Error | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;

  constructor(option: RedisClusterOption | NodeRedisClusterLike, options: RedisConnectionOptions) {
    super();
    this.#options = options;
    if ("cluster" in option && typeof option.cluster === "object") {
      const given = option.cluster;
      if (!Array.isArray(given.rootNodes) || given.rootNodes.length === 0) {
        throw new TypeError("actionhero-ws: option `redis.cluster.rootNodes` must list at least one node ({ url: \"redis://host:port\" })");
      }
      this.owned = true;
      this.cluster = createCluster({
        topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_MS,
        ...given,
        defaults: { disableOfflineQueue: true, ...given.defaults },
      }) as NodeRedisCluster;
      this.where = `cluster ${given.rootNodes.map((node) => node.url ?? "?").join(",")}`;
    } else {
      this.owned = false;
      this.cluster = option as unknown as NodeRedisCluster;
      this.where = "cluster (your client)";
    }
    this.cluster.on("error", this.#onError);
    this.cluster.on("node-reconnecting", this.#onNodeLost);
  }

  get ready(): boolean {
    return this.#state === "up" && this.cluster.isReady;
  }

  /** Connects (a user's connected client is adopted) within `startTimeoutMs`, then checks the version. */
  async start(): Promise<void> {
    if (this.#state !== "idle") throw new Error("actionhero-ws: Redis cluster connection already started");
    let timer: NodeJS.Timeout | undefined;
    try {
      const connecting = this.cluster.isOpen ? Promise.resolve() : this.cluster.connect();
      await Promise.race([connecting, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(
          `actionhero-ws: could not connect to Redis ${this.where} within ${this.#options.startTimeoutMs} ms (${reasonOf(this.#lastError)})`,
        )), this.#options.startTimeoutMs);
      })]);
      this.#state = "up";
      await this.#checkVersion();
      this.emit("ready", false);
    } catch (error) {
      this.#state = "closed";
      if (this.owned) this.cluster.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs commands against the cluster (node-redis routes each by its key). The callback
   * gets the cluster typed as a single client: the command methods the stores use have the
   * same signatures on both. Fails fast and bounded as RedisConnection#run.
   */
  async run<T>(command: (client: NodeRedisClient) => Promise<T>): Promise<T> {
    // While `down` commands still run: only the shard that is gone fails, the others serve.
    if ((this.#state !== "up" && this.#state !== "down") || !this.cluster.isReady) {
      throw new RedisUnavailableError(this.where, this.#state === "closed" ? "connection closed" : `not connected: ${reasonOf(this.#lastError)}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = command(this.cluster as unknown as NodeRedisClient);
      pending.catch(() => undefined);
      return await Promise.race([pending, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError()), this.#options.commandTimeoutMs);
      })]);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      const reason = error instanceof TimeoutError ? `no answer within ${this.#options.commandTimeoutMs} ms` : reasonOf(error);
      throw new RedisUnavailableError(this.where, reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const wasUp = this.#state !== "idle";
    this.#state = "closed";
    clearTimeout(this.#recoveryTimer);
    this.cluster.off("node-reconnecting", this.#onNodeLost);
    if (!this.owned) {
      this.cluster.off("error", this.#onError);
      return;
    }
    if (!wasUp || !this.cluster.isOpen) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.cluster.close().catch(() => this.cluster.destroy()),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.cluster.destroy();
          resolve();
        }, this.#options.commandTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Sharded pub/sub needs Redis 7 on every master. */
  async #checkVersion(): Promise<void> {
    for (const master of this.cluster.masters) {
      const client = await this.cluster.nodeClient(master);
      const info = await client.info("server");
      const version = /redis_version:(\d+)/.exec(String(info))?.[1];
      if (version === undefined || Number(version) < MIN_REDIS_MAJOR) {
        throw new Error(`actionhero-ws: Redis Cluster mode needs Redis >= ${MIN_REDIS_MAJOR} (sharded pub/sub); ${master.host}:${master.port} runs ${version ?? "an unknown version"}`);
      }
    }
  }

  readonly #onNodeLost = (node: { host: string; port: number }): void => {
    if (this.#state !== "up") return;
    this.#state = "down";
    this.emit("down", this.#lastError ?? new Error(`connection to ${node.host}:${node.port} lost`));
    this.#scheduleRecoveryCheck();
  };

  #scheduleRecoveryCheck(): void {
    this.#recoveryTimer = setTimeout(() => void this.#checkRecovered(), RECOVERY_CHECK_MS);
    this.#recoveryTimer.unref();
  }

  /** Up again once node-redis is ready and every master it knows answers PING in time. */
  async #checkRecovered(): Promise<void> {
    if (this.#state !== "down") return;
    let recovered = false;
    try {
      if (this.cluster.isReady && this.cluster.masters.length > 0) {
        const pings = this.cluster.masters.map(async (master) => (await this.cluster.nodeClient(master)).ping());
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(pings), new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError()), this.#options.commandTimeoutMs);
        })]).finally(() => clearTimeout(timer));
        recovered = true;
      }
    } catch (error) {
      this.#lastError = error as Error;
    }
    if (this.#state !== "down") return;
    if (!recovered) return this.#scheduleRecoveryCheck();
    this.#state = "up";
    this.emit("ready", true);
  }

  readonly #onError = (error: Error): void => {
    this.#lastError = error;
    if (this.#state !== "up" && this.#state !== "down") return;
    emitErrorSafely(this, new Error(`actionhero-ws: Redis error at ${this.where} (${reasonOf(error)})`, { cause: error }), this.#options.log);
  };
}
