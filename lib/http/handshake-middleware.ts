/**
 * The `handshake` option: Express middleware (`express-session`, `passport.session()`) run
 * as one Primus layer on every socket handshake — a websocket upgrade or a polling
 * handshake (no engine.io `sid`: not on every poll, not on a polling session's upgrade) —
 * so connection middleware's `create(connection, request)` sees `request.session` and
 * `request.user`. What they put on the request is read once, here; the transport drops it
 * again once `create` ran (forgetHandshakeState).
 *
 * `next(err)` refuses the handshake: status `err.status` (or `err.statusCode`) when it is
 * 4xx/5xx, else 401; a JSON body on polling, an HTTP status line before the upgrade.
 * A middleware that ends the response itself refuses it too (its status when >= 400, else 403).
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { HandshakeMiddleware } from "../connection/connection-middleware.js";
import type { Logger } from "../logger.js";
import { HandshakeResponse } from "./handshake-response.js";
import { clientAddress } from "./request-origin.js";
import { engineQuery } from "./engine-request.js";

/** Keys the handshake middleware added to each request still open. */
const addedKeys = new WeakMap<IncomingMessage, string[]>();

/** A socket's first request: an upgrade or a polling GET, without engine.io's session id. */
function isSocketHandshake(req: IncomingMessage, res: ServerResponse | Duplex): boolean {
  const query = engineQuery(req);
  if (query.sid !== undefined) return false;
  if (!("setHeader" in res)) return true;
  return req.method === "GET" && query.transport === "polling";
}

function statusOf(error: unknown): number | undefined {
  const { status, statusCode } = (typeof error === "object" && error !== null ? error : {}) as { status?: unknown; statusCode?: unknown };
  const given = status ?? statusCode;
  return Number.isInteger(given) && (given as number) >= 400 && (given as number) <= 599 ? (given as number) : undefined;
}

function refuse(res: ServerResponse | Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  const length = Buffer.byteLength(body);
  if ("setHeader" in res) {
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": length, "Cache-Control": "no-store" });
    res.end(body);
  } else {
    res.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Refused"}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`);
  }
}

export function handshakeLayer(middleware: readonly HandshakeMiddleware[], options: { trustProxy: boolean; logger: Logger }) {
  return function handshake(req: IncomingMessage, res: ServerResponse | Duplex, next: (err?: Error) => void): void {
    if (middleware.length === 0 || !isSocketHandshake(req, res)) return next();
    const before = new Set(Object.keys(req));
    let index = 0;
    let settled = false;
    const fail = (status: number, shown: string, logged: string) => {
      if (settled) return;
      settled = true;
      options.logger.warn(
        { status, remoteIP: clientAddress(req, options.trustProxy), transport: "setHeader" in res ? "polling" : "websocket", err: logged },
        "actionhero-ws: a handshake middleware refused a socket handshake",
      );
      refuse(res, status, shown);
    };
    const stand = new HandshakeResponse(req, () => fail(stand.statusCode >= 400 ? stand.statusCode : 403, "handshake refused", `middleware #${index} answered the handshake itself (status ${stand.statusCode})`));
    const step = (error?: unknown): void => {
      if (settled) return;
      if (error !== undefined && error !== null && error !== "route" && error !== "router") {
        const status = statusOf(error);
        const message = error instanceof Error ? error.message : String(error);
        // Only an error that chose its status says something meant for the client.
        return fail(status ?? 401, status !== undefined && status < 500 ? message : "handshake refused", message);
      }
      const fn = middleware[index++];
      if (!fn) {
        settled = true;
        const added = Object.keys(req).filter((key) => !before.has(key));
        if (added.length) addedKeys.set(req, added);
        return next();
      }
      try {
        const result = fn(req, stand as unknown as ServerResponse, step);
        // Express 5 turns a rejected promise from a middleware into next(err): so do we.
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
          (result as PromiseLike<unknown>).then(undefined, (rejected: unknown) => step(rejected ?? new Error("handshake middleware rejected")));
        }
      } catch (thrown) {
        step(thrown ?? new Error("handshake middleware threw"));
      }
    };
    step();
  };
}

/** Drops what the handshake middleware put on a socket's request (once `create` has read it). */
export function forgetHandshakeState(req: IncomingMessage | undefined): void {
  if (!req) return;
  const added = addedKeys.get(req);
  if (!added) return;
  addedKeys.delete(req);
  const fields = req as unknown as Record<string, unknown>;
  for (const key of added) delete fields[key];
}
