/**
 * One guarded node-redis client. node-redis alone has three behaviours we cannot ship:
 * `connect()` never settles while Redis is down, a client without an `error` listener crashes the process, and commands can sit in
 * the offline queue. This wrapper bounds start-up, always listens for `error`, and makes a
 * command fail fast with a clear error while the connection is down.
 *
 * Events: `error` (Error; logged instead when nobody listens), `ready` (reconnected:
 * boolean — false after `start()`, true after a lost connection came back), `down` (Error).
 */
import { EventEmitter } from "node:events";
import { createClient, TimeoutError, type RedisClientOptions } from "redis";
import {
  describeOptions,
  describeUrl,
  isConnectionError,
  reasonOf,
  RedisUnavailableError,
} from "./redis-errors.js";

import { isClusterOption, type NodeRedisClient, type NodeRedisClientLike, type RedisConnectionOptions, type RedisOption } from "./redis-option.js";
import { emitErrorSafely } from "./redis-errors.js";
export type { NodeRedisClient, NodeRedisClientLike, RedisConnectionOptions, RedisOption } from "./redis-option.js";
export { emitErrorSafely };

export { RedisUnavailableError } from "./redis-errors.js";

type State = "idle" | "starting" | "up" | "down" | "failed" | "closed";

export class RedisConnection extends EventEmitter {
  /** Where the client connects, credentials removed; used in every error message. */
  readonly where: string;
  /** true when we created the client and so must quit it; never true for a user's client */
  readonly owned: boolean;
  readonly #raw: NodeRedisClient;
  /** the same client with our command timeout and the default reply types forced */
  readonly #commands: NodeRedisClient;
  readonly #options: Required<Omit<RedisConnectionOptions, "log">> & Pick<RedisConnectionOptions, "log">;
  #state: State = "idle";
  #lastError: Error | undefined;
  /** message of the last error forwarded during this outage, to drop retry-loop repeats */
  #lastForwarded: string | undefined;
  #startWaiter: (() => void) | undefined;

  /** Wraps `redis` (creating a client for a URL or options). Throws on an invalid value. */
  static from(redis: RedisOption, options: RedisConnectionOptions): RedisConnection {
    if (typeof redis === "string") {
      return new RedisConnection(createOwnedClient({ url: redis }), true, describeUrl(redis), options);
    }
    if (isClientInstance(redis)) {
      // The user's client keeps their offline-queue setting; our guard in run() still
      // rejects at once while it is not ready.
      const client = redis as unknown as NodeRedisClient;
      return new RedisConnection(client, false, describeOptions(client.options), options);
    }
    if (redis === null || typeof redis !== "object" || isClusterOption(redis)) {
      throw new TypeError("actionhero-ws: option `redis` must be a URL string, node-redis client options or a node-redis client");
    }
    return new RedisConnection(createOwnedClient(redis as RedisClientOptions), true, describeOptions(redis as RedisClientOptions), options);
  }

  private constructor(client: NodeRedisClient, owned: boolean, where: string, options: RedisConnectionOptions) {
    super();
    this.#raw = client;
    this.owned = owned;
    this.where = where;
    this.#options = {
      startTimeoutMs: positive(options.startTimeoutMs, "startTimeoutMs"),
      commandTimeoutMs: positive(options.commandTimeoutMs, "commandTimeoutMs"),
      log: options.log,
    };
    this.#commands = client.withCommandOptions({
      timeout: this.#options.commandTimeoutMs,
      typeMapping: {},
    }) as NodeRedisClient;
    client.on("error", this.#onError);
    client.on("ready", this.#onReady);
    client.on("reconnecting", this.#onConnectionLost);
    client.on("end", this.#onConnectionLost);
  }

  /** true when commands can be sent right now */
  get ready(): boolean {
    return this.#state === "up" && this.#raw.isReady;
  }

  /**
   * Connects (a user's client that is already connected is just adopted). Rejects within
   * `startTimeoutMs` with a message naming the address and the last socket error; a client
   * we opened is then destroyed so its retry loop stops.
   */
  async start(): Promise<void> {
    if (this.#state !== "idle") throw new Error(`actionhero-ws: Redis connection already ${this.#state}`);
    this.#state = "starting";
    if (this.#raw.isReady) {
      this.#markUp(false);
      return;
    }
    const weOpen = !this.#raw.isOpen;
    const connecting = weOpen ? this.#raw.connect() : undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#startWaiter = resolve;
        timer = setTimeout(() => reject(this.#startError()), this.#options.startTimeoutMs);
        // connect() also settles on its own (ready, or the reconnect strategy gave up)
        connecting?.then(() => resolve(), (error: unknown) => reject(this.#startError(error)));
      });
      if (this.#state !== "starting") throw new Error("actionhero-ws: Redis connection closed while starting");
      this.#markUp(false);
    } catch (error) {
      if (this.#state === "starting") this.#state = "failed";
      if (weOpen) this.#raw.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      this.#startWaiter = undefined;
    }
  }

  /**
   * Runs one or more commands on the client. Rejects with RedisUnavailableError at once
   * while disconnected, and after `commandTimeoutMs` when Redis does not answer; other
   * errors (an error reply such as WRONGTYPE, a bad argument) pass through unchanged.
   */
  async run<T>(command: (client: NodeRedisClient) => Promise<T>): Promise<T> {
    if (this.#state === "closed") throw new RedisUnavailableError(this.where, "connection closed");
    if (!this.ready) {
      const reason = this.#state === "idle" ? "not started" : `not connected: ${reasonOf(this.#lastError)}`;
      throw new RedisUnavailableError(this.where, reason);
    }
    // node-redis' own command timeout stops once a command is written; a Redis that
    // stalls (or a peer that vanished without a FIN) would then keep us waiting until TCP
    // gives up. Our timer bounds the wait; the late reply is still consumed in order. The
    // timer rejects after the next I/O poll: a reply already received while our event loop
    // was busy wins, so a timeout means Redis really had not answered (redis-message-bus.ts).
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = command(this.#commands);
      pending.catch(() => undefined);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => setImmediate(reject, new TimeoutError()), this.#options.commandTimeoutMs);
      });
      return await Promise.race([pending, late]);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      const reason = error instanceof TimeoutError
        ? `no answer within ${this.#options.commandTimeoutMs} ms`
        : reasonOf(error);
      throw new RedisUnavailableError(this.where, reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** A new connection of our own to the same server (for subscribing), not yet started. */
  duplicate(): RedisConnection {
    const copy = this.#raw.duplicate(OWNED_CLIENT_OPTIONS) as NodeRedisClient;
    return new RedisConnection(copy, true, this.where, this.#options);
  }

  /** Quits the client when we own it; a user's client is only detached from. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const wasUp = this.#raw.isReady;
    this.#state = "closed";
    this.#raw.off("ready", this.#onReady);
    this.#raw.off("reconnecting", this.#onConnectionLost);
    this.#raw.off("end", this.#onConnectionLost);
    if (!this.owned) {
      this.#raw.off("error", this.#onError);
      return;
    }
    // Our error listener stays on our own client: a late socket error must not crash.
    if (!this.#raw.isOpen) return;
    if (!wasUp) {
      this.#raw.destroy();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#raw.destroy();
        resolve();
      }, this.#options.commandTimeoutMs);
    });
    try {
      await Promise.race([this.#raw.close(), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  #startError(cause?: unknown): Error {
    const reason = cause instanceof Error ? reasonOf(cause) : reasonOf(this.#lastError);
    return new Error(
      `actionhero-ws: could not connect to Redis at ${this.where} within ${this.#options.startTimeoutMs} ms (${reason})`,
      { cause: cause ?? this.#lastError },
    );
  }

  #markUp(reconnected: boolean): void {
    this.#state = "up";
    this.#lastForwarded = undefined;
    this.emit("ready", reconnected);
  }

  readonly #onError = (error: Error): void => {
    this.#lastError = error;
    // During start-up the last error becomes part of start()'s rejection instead.
    if (this.#state === "starting" || this.#state === "closed" || this.#state === "failed") return;
    if (this.#state === "up") this.#markDown(error);
    // While down the retry loop reports the same refusal every ~2 s: forward it once.
    if (error.message === this.#lastForwarded) return;
    this.#lastForwarded = error.message;
    this.#emitError(error);
  };

  readonly #onReady = (): void => {
    if (this.#state === "starting") {
      this.#startWaiter?.();
    } else if (this.#state === "down") {
      this.#markUp(true);
    }
  };

  readonly #onConnectionLost = (): void => {
    if (this.#state === "up") this.#markDown(this.#lastError ?? new Error("connection lost"));
  };

  #markDown(cause: Error): void {
    this.#state = "down";
    this.emit("down", cause);
  }

  #emitError(error: Error): void {
    const wrapped = new Error(`actionhero-ws: Redis error at ${this.where} (${reasonOf(error)})`, { cause: error });
    emitErrorSafely(this, wrapped, this.#options.log);
  }
}

/**
 * Our clients reject a command sent while disconnected instead of queueing it, so a
 * caller learns at once that Redis is gone (the `run()` guard covers users' clients).
 */
const OWNED_CLIENT_OPTIONS = { disableOfflineQueue: true } as const;

function createOwnedClient(options: RedisClientOptions): NodeRedisClient {
  return createClient({ ...OWNED_CLIENT_OPTIONS, ...options }) as NodeRedisClient;
}

function isClientInstance(value: unknown): value is NodeRedisClientLike {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Record<"connect" | "duplicate" | "sendCommand", unknown>>;
  return typeof candidate.connect === "function" &&
    typeof candidate.duplicate === "function" &&
    typeof candidate.sendCommand === "function";
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`actionhero-ws: option \`${name}\` must be a positive number of milliseconds`);
  }
  return value;
}
