/**
 * What a request to Primus's path is, read once per request: its engine.io query (the
 * `sid` of an open session, the transport). Several layers ask (handshake limit, the
 * `handshake` middleware, session binding, refusal while closing, the 413 report); the
 * URL is parsed for the first of them only.
 */
import type { IncomingMessage } from "node:http";

const queries = new WeakMap<object, URLSearchParams>();
const none = new URLSearchParams();

/** The request's query (empty when its URL has none). */
export function engineQuery(req: { url?: string }): URLSearchParams {
  let query = queries.get(req);
  if (query === undefined) {
    const url = req.url ?? "/";
    query = url.includes("?") ? new URL(url, "http://localhost").searchParams : none;
    queries.set(req, query);
  }
  return query;
}

/** engine.io's session id of a request (present on every request after the handshake). */
export function sessionIdOf(req: { url?: string }): string | null {
  return engineQuery(req).get("sid");
}

/** A long-polling handshake: a GET for the polling transport without a session yet. */
export function isPollingHandshake(req: IncomingMessage): boolean {
  if (req.method !== "GET") return false;
  const query = engineQuery(req);
  return query.get("transport") === "polling" && !query.has("sid");
}
