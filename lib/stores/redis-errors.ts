/**
 * What we say when Redis fails: the error a caller gets while Redis is unreachable, which
 * node-redis errors mean "unreachable" (as opposed to an error reply or a bug), a short
 * cause for messages, and the server address with credentials removed.
 */
import type { EventEmitter } from "node:events";
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
  type RedisClientOptions,
} from "redis";

/** A command could not run because Redis is unreachable, timed out or the store is closed. */
export class RedisUnavailableError extends Error {
  readonly code = "REDIS_UNAVAILABLE";
  constructor(where: string, reason: string, options?: { cause?: unknown }) {
    super(`actionhero-ws: Redis unavailable at ${where} (${reason})`, options);
    this.name = "RedisUnavailableError";
  }
}

/** The URL without credentials, so error messages can be logged safely. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "<invalid Redis URL>";
  }
}

export function describeOptions(options: { url?: string; socket?: RedisClientOptions["socket"] } | undefined): string {
  if (options?.url) return describeUrl(options.url);
  const socket = options?.socket;
  if (socket && "path" in socket && typeof socket.path === "string") return `unix:${socket.path}`;
  const host = socket && "host" in socket && typeof socket.host === "string" ? socket.host : "localhost";
  const port = socket && "port" in socket && typeof socket.port === "number" ? socket.port : 6379;
  return `redis://${host}:${port}`;
}

/** Errors that mean "Redis could not be reached", as opposed to a reply or a bug. */
export function isConnectionError(error: unknown): error is Error {
  if (
    error instanceof TimeoutError ||
    error instanceof ClientOfflineError ||
    error instanceof ClientClosedError ||
    error instanceof DisconnectsClientError ||
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof ConnectionTimeoutError ||
    error instanceof SocketTimeoutError
  ) {
    return true;
  }
  // socket errors from node:net (ECONNRESET, EPIPE, ...) carry the failed syscall
  return error instanceof Error && typeof (error as { syscall?: unknown }).syscall === "string";
}

/** A short cause: the socket error code (ECONNREFUSED) when there is one, else the message. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return error === undefined ? "no answer" : String(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  if (error.message !== "") return error.message;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0) return reasonOf(inner[0]);
  return error.name;
}

/**
 * Emits `error` on a store/bus when someone listens and logs otherwise: an EventEmitter
 * throws on an unheard `error`, which would turn a Redis hiccup into a crash.
 */
export function emitErrorSafely(emitter: EventEmitter, error: Error, log?: (message: string) => void): void {
  if (emitter.listenerCount("error") > 0) {
    emitter.emit("error", error);
  } else {
    const message = error.message.startsWith("actionhero-ws:") ? error.message : `actionhero-ws: ${error.message}`;
    (log ?? ((text: string) => console.warn(text)))(message);
  }
}
