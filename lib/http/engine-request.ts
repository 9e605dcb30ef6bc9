/**
 * What a request to Primus's path is, read once per request: its engine.io query (the
 * `sid` of an open session, the transport). Several layers ask (handshake limit, the
 * `handshake` middleware, session binding, refusal while closing, the 413 report).
 *
 * Primus has parsed the URL already (`req.query`, before its first layer), and engine.io
 * takes a request's `_query` when present instead of parsing it again: one parse per
 * polling request instead of three (bench/README.md, long-polling). A repeated key keeps
 * its last value, as engine.io's own parse does.
 */
import type { IncomingMessage } from "node:http";

export type EngineQuery = Readonly<Record<string, string>>;

interface QueriedRequest {
  url?: string;
  /** Primus's parse of the URL (Node's url.parse with its query) */
  query?: unknown;
  /** engine.io's parse of the query, made by us when we get there first */
  _query?: unknown;
}

const queries = new WeakMap<object, EngineQuery>();

function lastValues(parsed: Iterable<[string, unknown]>): EngineQuery {
  const query: Record<string, string> = Object.create(null);
  for (const [key, value] of parsed) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === "string") query[key] = last;
  }
  return query;
}

/** The request's query (empty when its URL has none). */
export function engineQuery(req: QueriedRequest): EngineQuery {
  let query = queries.get(req);
  if (query === undefined) {
    const primus = req.query;
    if (typeof primus === "object" && primus !== null) query = lastValues(Object.entries(primus));
    else {
      const url = req.url ?? "/";
      query = lastValues(url.includes("?") ? new URL(url, "http://localhost").searchParams : []);
    }
    queries.set(req, query);
    if (req._query === undefined) req._query = query;
  }
  return query;
}

/** engine.io's session id of a request (present on every request after the handshake). */
export function sessionIdOf(req: QueriedRequest): string | null {
  return engineQuery(req).sid || null;
}

/** A long-polling handshake: a GET for the polling transport without a session yet. */
export function isPollingHandshake(req: IncomingMessage): boolean {
  if (req.method !== "GET") return false;
  const query = engineQuery(req);
  return query.transport === "polling" && query.sid === undefined;
}
