/**
 * What an open connection no longer needs from its handshake request. engine.io keeps that
 * request for the socket's whole life (`socket.request`), and Primus and cookie-parser hang
 * per-request state on it that only the handshake reads: the parsed URL (`url-parse` object
 * with its strings and query), connect-style fields and the parsed cookies. With thousands
 * of idle sockets that is a measurable share of the memory per connection (bench/README.md).
 */
import type { IncomingMessage } from "node:http";

/**
 * Fields only the handshake reads: Primus's (`uri`, `query`, `originalUrl`; `forwarded`,
 * which `spark.address` recomputes from the same headers) and cookie-parser's.
 */
const handshakeOnly = ["uri", "query", "originalUrl", "forwarded", "cookies", "signedCookies", "secret"] as const;

/**
 * Drops the handshake-only fields of a spark's request, once the connection has been built
 * from them (fingerprint read). The request object itself stays: engine.io and
 * `spark.address` use it.
 */
export function trimHandshakeRequest(request: IncomingMessage | undefined): void {
  if (!request || typeof request !== "object") return;
  const fields = request as unknown as Record<string, unknown>;
  for (const key of handshakeOnly) {
    if (key in fields) fields[key] = undefined;
  }
  // Node's copy of the header lines as received (names in their original case): `headers`
  // holds the same values (Node builds it lazily from this list, so make sure it is built),
  // and nothing reads the raw list after the handshake.
  if (Array.isArray(request.rawHeaders) && request.rawHeaders.length > 0 && typeof request.headers === "object") request.rawHeaders = [];
  // Primus's self-reference for transformers that hide the request; the spark has it now.
  const headers = request.headers as Record<string, unknown> | undefined;
  if (headers && "primus::req::backup" in headers) delete headers["primus::req::backup"];
  const socket = request.socket as UpgradedSocket | null;
  if (socket) dropUpgradeGc(socket);
}

type UpgradedSocket = IncomingMessage["socket"] & { listeners(event: string): Function[] };

/**
 * Primus's upgrade handler leaves a `once("end")` listener on the TCP socket only to delete
 * its `primus::req::backup` header (the trim above deletes it); its closure keeps the
 * upgrade's `head` Buffer (~0.5 KiB with its backing store) for the socket's whole life.
 * Our transformer drops it before the websocket takes the socket: ws then adds its own `end`
 * listener beside Node's one, a two-slot list, where a third listener would have grown the
 * list to nineteen slots for good.
 */
export function dropUpgradeGc(socket: UpgradedSocket): void {
  for (const listener of socket.listeners("end")) {
    if (listener.name === "gc") socket.removeListener("end", listener as (...args: unknown[]) => void);
  }
}
