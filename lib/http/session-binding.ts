/**
 * Binds an engine.io session to the fingerprint cookie its handshake carried. engine.io
 * trusts the `sid` alone, and the sid sits in every polling URL (so in access logs): anyone
 * holding it could read the session's polling stream, send as its client, or upgrade and
 * take the session over. Every later request of a session whose handshake carried our
 * cookie (polling GET and POST, the websocket upgrade) must carry the same cookie value;
 * any other request with that sid is refused with 403 before engine.io sees it, so the
 * session itself is untouched. Sessions opened without the cookie (non-browser clients)
 * stay bound to nothing but the sid.
 */
import { timingSafeEqual } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import { cookieValue } from "./fingerprint-cookie.js";
import { clientAddress } from "./request-origin.js";
import { sessionIdOf } from "./engine-request.js";

export interface SessionBindingOptions {
  cookieKey: string;
  trustProxy: boolean;
  logger: Logger;
}

/** An engine.io server's open sessions, by sid, with the handshake request each kept. */
interface EngineSessions {
  clients?: Record<string, { request?: IncomingMessage }>;
}


function sameValue(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const warnEveryMs = 10_000;
const refusal = JSON.stringify({ error: "this session was opened by another client (its fingerprint cookie is missing or different)" });

/** A Primus layer (polling requests and upgrades); `engine` holds the sessions. */
export function sessionBindingLayer(engine: EventEmitter | undefined, options: SessionBindingOptions) {
  let lastWarn = 0;
  let refused = 0;

  const refuse = (req: IncomingMessage, res: ServerResponse | Duplex) => {
    refused++;
    const now = Date.now();
    if (now - lastWarn >= warnEveryMs) {
      lastWarn = now;
      // Never the sid or the cookie: they are what an attacker is after.
      options.logger.warn(
        { remoteIP: clientAddress(req, options.trustProxy), method: req.method, upgrade: !("setHeader" in res), refusedSoFar: refused },
        "actionhero-ws: refused a request for a socket session without the fingerprint cookie its handshake carried (403); at most one such line per 10 s",
      );
    }
    if ("setHeader" in res) {
      res.writeHead(403, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(refusal), "Cache-Control": "no-store" });
      res.end(refusal);
    } else {
      res.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(refusal)}\r\n\r\n${refusal}`);
    }
  };

  return function sessionBinding(req: IncomingMessage, res: ServerResponse | Duplex, next: (err?: Error) => void): void {
    const clients = (engine as EngineSessions | undefined)?.clients;
    if (!clients) return next();
    const sid = sessionIdOf(req);
    // Unknown sids are engine.io's to answer (400 "Session ID unknown").
    if (sid === null || !Object.hasOwn(clients, sid)) return next();
    // The handshake request stays on the session for its life; its parsed cookies are
    // dropped (transport/handshake-trim.ts), the Cookie header is not.
    const header = clients[sid].request?.headers.cookie;
    const bound = header ? cookieValue(header, options.cookieKey) : undefined;
    if (bound === undefined) return next();
    const presented = req.headers.cookie ? cookieValue(req.headers.cookie, options.cookieKey) : undefined;
    if (sameValue(presented, bound)) return next();
    refuse(req, res);
  };
}
