/**
 * Which browser origins may open a socket. Primus checks no Origin on upgrades and
 * reflects any origin with credentials on polling; with a cookie fingerprint that is
 * cross-site WebSocket hijacking, so this replaces its CORS layer on both paths.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import { requestOrigin } from "./request-origin.js";

export interface OriginPolicyOptions {
  origins: string[] | "*" | undefined;
  allowMissingOrigin: boolean;
  /** Believe `X-Forwarded-Proto`/`X-Forwarded-Host` for this server's own origin. */
  trustProxy: boolean;
  logger: Logger;
  onRefused?: () => void;
}

/**
 * Scheme, host and port all equal this server's: an `https:` page, a `ws:` origin or a
 * browser extension on our host:port is another origin.
 */
function sameOrigin(origin: string, req: IncomingMessage, trustProxy: boolean): boolean {
  const ours = requestOrigin(req, trustProxy);
  if (!ours) return false;
  try {
    const theirs = new URL(origin);
    return theirs.protocol === ours.protocol && theirs.host === ours.host;
  } catch {
    return false;
  }
}

/**
 * "same" (no CORS headers needed), "listed" (named in `origins`: CORS with credentials),
 * "any" (allowed by `origins: "*"`: CORS without credentials, so a page on any site can
 * connect but its requests carry no cookies of ours), or false (refused).
 */
export function judgeOrigin(req: IncomingMessage, options: OriginPolicyOptions): "same" | "listed" | "any" | false {
  const origin = req.headers.origin;
  if (origin === undefined) return options.allowMissingOrigin ? "same" : false;
  if (sameOrigin(origin, req, options.trustProxy)) return "same";
  if (Array.isArray(options.origins) && options.origins.includes(origin)) return "listed";
  if (options.origins === "*") return "any";
  return false;
}

/** A Primus layer (runs for polling requests and for upgrades). */
export function originLayer(options: OriginPolicyOptions) {
  return function origin(req: IncomingMessage, res: ServerResponse | Duplex, next: (err?: Error) => void): void {
    const verdict = judgeOrigin(req, options);
    const isHttp = "setHeader" in res;
    if (verdict === false) {
      options.onRefused?.();
      options.logger.warn(
        { origin: req.headers.origin ?? null, host: req.headers.host },
        'actionhero-ws: refused a socket from another origin; list it in the "origins" option to allow it',
      );
      const body = JSON.stringify({ error: "origin not allowed" });
      if (isHttp) {
        const response = res as ServerResponse;
        response.writeHead(403, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        response.end(body);
      } else {
        (res as Duplex).end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      return;
    }
    if ((verdict === "listed" || verdict === "any") && isHttp) {
      const response = res as ServerResponse;
      response.setHeader("Access-Control-Allow-Origin", req.headers.origin as string);
      // Credentials only for origins the app named: "*" must not let any site read
      // responses made with our fingerprint cookie (Primus's default did exactly that).
      if (verdict === "listed") response.setHeader("Access-Control-Allow-Credentials", "true");
      response.setHeader("Vary", "Origin");
      if (req.method === "OPTIONS") {
        response.setHeader("Access-Control-Allow-Methods", "GET,POST,OPTIONS");
        const asked = req.headers["access-control-request-headers"];
        if (asked) response.setHeader("Access-Control-Allow-Headers", asked);
        response.setHeader("Access-Control-Max-Age", "600");
        response.writeHead(204);
        response.end();
        return;
      }
    }
    next();
  };
}
