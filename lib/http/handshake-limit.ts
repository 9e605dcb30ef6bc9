/**
 * Caps pending polling handshakes. Each engine.io session a polling handshake opens costs
 * about 8 KiB and lives until engine.io's heartbeat gives up on it (pingInterval +
 * pingTimeout, 45 s by default), so a client that only opens handshakes fills memory.
 *
 * A handshake is pending from the moment this layer lets a polling handshake request
 * (`GET` with `transport=polling` and no `sid`) through until its session upgrades to a
 * websocket, delivers its first message (a socket.io client's CONNECT packet comes within
 * one round trip), closes, or the handshake fails. Websocket-only handshakes never are.
 * Over `perIp` pending from one client address: 429; over `total` on this node: 503.
 */
import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import { clientAddress } from "./request-origin.js";
import { isPollingHandshake } from "./engine-request.js";

export interface HandshakeLimitOptions {
  perIp: number;
  total: number;
  trustProxy: boolean;
  logger: Logger;
  /** Bumped on each refusal, and kept equal to the number pending now. */
  counters: { handshakesRefused: number; pendingHandshakes: number };
}

interface EngineSocket extends EventEmitter {
  request: IncomingMessage;
}

/** The engine.io server under a Primus transformer (socket.io's `engine`, or engine.io itself); none for "websockets". */
export function engineOf(service: unknown): EventEmitter | undefined {
  const candidate = (service as { engine?: unknown } | undefined)?.engine ?? service;
  return typeof (candidate as { handleRequest?: unknown } | undefined)?.handleRequest === "function" ? (candidate as EventEmitter) : undefined;
}

const warnEveryMs = 10_000;

/** A Primus layer; `engine` is where the sessions it let through appear. */
export function handshakeLimitLayer(engine: EventEmitter | undefined, options: HandshakeLimitOptions) {
  const perIp = new Map<string, number>();
  let total = 0;
  /** Handshake requests let through whose session has not appeared yet. */
  const reserved = new WeakMap<IncomingMessage, string>();
  /** Sessions still pending, with the address they count against. */
  const pending = new WeakMap<EngineSocket, string>();
  let lastWarn = 0;

  const count = (ip: string, delta: 1 | -1) => {
    const n = (perIp.get(ip) ?? 0) + delta;
    if (n > 0) perIp.set(ip, n);
    else perIp.delete(ip);
    options.counters.pendingHandshakes = total += delta;
  };
  // Shared by every handshake (`this` is the response or session): nothing per socket.
  function handshakeAnswered(this: ServerResponse): void {
    const ip = reserved.get(this.req);
    if (ip === undefined) return;
    reserved.delete(this.req);
    count(ip, -1);
  }
  function settled(this: EngineSocket): void {
    const ip = pending.get(this);
    if (ip === undefined) return;
    pending.delete(this);
    this.off("upgrade", settled).off("message", settled).off("close", settled);
    count(ip, -1);
  }
  engine?.on("connection", (socket: EngineSocket) => {
    const ip = reserved.get(socket.request);
    if (ip === undefined) return;
    reserved.delete(socket.request);
    pending.set(socket, ip);
    socket.on("upgrade", settled).on("message", settled).on("close", settled);
  });

  const refuse = (res: ServerResponse, ip: string, status: 429 | 503, error: string) => {
    options.counters.handshakesRefused++;
    const now = Date.now();
    if (now - lastWarn >= warnEveryMs) {
      lastWarn = now;
      options.logger.warn(
        { remoteIP: ip, status, pendingFromIp: perIp.get(ip) ?? 0, pending: total, refusedSoFar: options.counters.handshakesRefused },
        "actionhero-ws: refusing polling handshakes (limits.pendingHandshakesPerIp / limits.pendingHandshakes); at most one such line per 10 s",
      );
    }
    const body = JSON.stringify({ error });
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Retry-After": "5", "Cache-Control": "no-store" });
    res.end(body);
  };

  return function handshakeLimit(req: IncomingMessage, res: ServerResponse | Duplex, next: (err?: Error) => void): void {
    if (!engine || !("setHeader" in res) || !isPollingHandshake(req)) return next();
    const ip = clientAddress(req, options.trustProxy);
    if ((perIp.get(ip) ?? 0) >= options.perIp) return refuse(res, ip, 429, "too many pending handshakes from this address");
    if (total >= options.total) return refuse(res, ip, 503, "too many pending handshakes on this server");
    count(ip, 1);
    reserved.set(req, ip);
    res.once("close", handshakeAnswered);
    next();
  };
}
