/**
 * The HTTP side of the middleware: the fingerprint cookie, the generated client files and
 * the action endpoint. Everything else falls through to the app's next handler.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import type { ResolvedOptions } from "../options.js";
import type { GeneratedClient } from "../client/client-generator.js";
import { ensureFingerprintCookie } from "./fingerprint-cookie.js";
import { handleApiRequest, type ApiEndpointDeps } from "./api-endpoint.js";

export type Next = (err?: unknown) => void;

export interface HttpSideDeps {
  options: ResolvedOptions;
  api: ApiEndpointDeps;
  client: () => Promise<GeneratedClient | undefined>;
}

function sendScript(req: IncomingMessage, res: ServerResponse, body: string): void {
  const etag = `"${createHash("sha1").update(body).digest("base64url")}"`;
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { ETag: etag });
    res.end();
    return;
  }
  res.writeHead(200, {
    "Content-Type": "application/javascript; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-cache",
    ETag: etag,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

export function createHttpSide(deps: HttpSideDeps) {
  const { options } = deps;
  const clientBase = options.clientJsName ? `/public/${options.clientJsPath}${options.clientJsName}` : undefined;
  const apiPath = options.client.apiPath.replace(/\/+$/, "");

  return async function httpSide(req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const path = url.pathname;
      const fingerprint = ensureFingerprintCookie(req, res, { cookieKey: options.cookieKey, secret: options.secret });
      const isRead = req.method === "GET" || req.method === "HEAD";

      if (clientBase && isRead && (path === `${clientBase}.js` || path === `${clientBase}.min.js`)) {
        const client = await deps.client();
        if (!client) return next();
        return sendScript(req, res, path.endsWith(".min.js") ? client.minJs : client.js);
      }
      if (path === apiPath || path.startsWith(`${apiPath}/`)) {
        if (!isRead && req.method !== "POST") return next();
        const rest = path.slice(apiPath.length + 1);
        const action = rest ? decodeURIComponent(rest.split("/")[0]) : undefined;
        return await handleApiRequest(deps.api, req, res, url, action, fingerprint);
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}
