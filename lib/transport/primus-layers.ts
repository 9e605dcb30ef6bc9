/**
 * The Primus layers in front of every handshake and polling request: the origin policy
 * (in place of Primus's CORS), the cap on pending polling handshakes, sessions bound to
 * their handshake's cookie, cookies (for the fingerprint), the app's `handshake` Express
 * middleware, refusal while closing, and the report of polling bodies over `server.maxLength`.
 */
import type Primus from "primus";
import cookieParser from "cookie-parser";
import type { ResolvedOptions } from "../options.js";
import type { Logger } from "../logger.js";
import { originLayer } from "../http/origin-policy.js";
import { engineOf, handshakeLimitLayer } from "../http/handshake-limit.js";
import { sessionBindingLayer } from "../http/session-binding.js";
import { sessionIdOf } from "../http/engine-request.js";
import { handshakeLayer } from "../http/handshake-middleware.js";
import { payloadLimitLayer } from "./socket-limits.js";

export interface LayerHooks {
  isClosing(): boolean;
  /** The handshake limit counts refusals and pending handshakes here. */
  counters: { handshakesRefused: number; pendingHandshakes: number };
  originRefused(): void;
  /** A polling body over `server.maxLength` was refused with 413. */
  oversizedBody(): void;
}

export function useLayers(primus: Primus, options: ResolvedOptions, logger: Logger, hooks: LayerHooks): void {
  // Primus's layers that only repeat what is done elsewhere, paid on every polling request
  // (bench/README.md, long-polling): `forwarded` (spark.address computes the same when
  // asked, and we never ask: request-origin.ts), `x-xss` and `no-cache` (engine.io's polling
  // responses carry `cache-control: no-store` and the old-IE XSS header itself; Primus's own
  // answers, primus.js and spec, come before these layers and never ran them).
  for (const redundant of ["forwarded", "x-xss", "no-cache"]) primus.remove(redundant);
  const cors = primus.indexOfLayer("cors");
  primus.remove("cors");
  primus.use("origin", originLayer({
    origins: options.origins,
    allowMissingOrigin: options.allowMissingOrigin,
    trustProxy: options.trustProxy,
    logger,
    onRefused: hooks.originRefused,
  }), cors);
  primus.use("handshake-limit", handshakeLimitLayer(engineOf(primus.transformer.service), {
    perIp: options.limits.pendingHandshakesPerIp,
    total: options.limits.pendingHandshakes,
    trustProxy: options.trustProxy,
    logger,
    counters: hooks.counters,
  }), cors + 1);
  primus.use("session-binding", sessionBindingLayer(engineOf(primus.transformer.service), {
    cookieKey: options.cookieKey,
    trustProxy: options.trustProxy,
    logger,
  }), cors + 2);
  primus.use("cookies", cookieParser(options.secret) as unknown as Primus.Layer, primus.indexOfLayer("authorization"));
  // After the cheap refusals (origin, handshake caps): the session store is read only for
  // handshakes that may go on.
  if (options.handshake.length > 0) {
    primus.use("handshake", handshakeLayer(options.handshake, { trustProxy: options.trustProxy, logger }), primus.indexOfLayer("authorization"));
  }
  primus.use("closing", (req, res, next) => {
    if (!hooks.isClosing()) return next();
    // Requests of an open polling session (`sid`) still pass: they fetch its last replies
    // and the close notice, and carry the client's goodbye.
    if (sessionIdOf(req)) return next();
    // Refuse new sockets while close() drains; clients retry elsewhere.
    if ("setHeader" in res) {
      res.statusCode = 503;
      res.end();
    } else res.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  }, 0);
  primus.use("payload-limit", payloadLimitLayer((req) => {
    hooks.oversizedBody();
    // engine.io answered 413 but keeps the session; its client gives up on it: end it now.
    const sid = sessionIdOf(req);
    const engine = (primus.transformer.service as { engine?: { clients?: Record<string, { close(discard?: boolean): void }> } } | undefined)?.engine;
    if (sid && engine?.clients && Object.hasOwn(engine.clients, sid)) engine.clients[sid].close(true);
  }));
}
