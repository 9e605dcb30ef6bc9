/**
 * The HTTP side of the middleware: the fingerprint cookie, the generated client files and
 * the action endpoint. Everything else falls through to the app's next handler.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import type { ResolvedOptions } from "../options.js";
import type { GeneratedClient } from "../client/client-generator.js";
import { ensureFingerprintCookie } from "./fingerprint-cookie.js";
import { handleApiRequest, sendJson, type ApiEndpointDeps } from "./api-endpoint.js";
import type { Logger } from "../logger.js";

export type Next = (err?: unknown) => void;

export interface HttpSideDeps {
  options: ResolvedOptions;
  api: ApiEndpointDeps;
  client: () => Promise<GeneratedClient | undefined>;
  logger: Logger;
}

/** The `:action` segment, or undefined; null when its percent-encoding is malformed. */
function actionSegment(rest: string): string | undefined | null {
  if (!rest) return undefined;
  try {
    return decodeURIComponent(rest.split("/")[0]);
  } catch {
    return null;
  }
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
      const fingerprint = ensureFingerprintCookie(req, res, { cookieKey: options.cookieKey, secret: options.secret, trustProxy: options.trustProxy });
      const isRead = req.method === "GET" || req.method === "HEAD";

      if (clientBase && isRead && (path === `${clientBase}.js` || path === `${clientBase}.min.js`)) {
        const client = await deps.client();
        if (!client) return next();
        return sendScript(req, res, path.endsWith(".min.js") ? client.minJs : client.js);
      }
      if (path === apiPath || path.startsWith(`${apiPath}/`)) {
        if (!isRead && req.method !== "POST") return next();
        const action = actionSegment(path.slice(apiPath.length + 1));
        // Bad input is the client's error (400), never the app's error handler's stack trace.
        if (action === null) {
          sendJson(res, 400, { error: "the action name in the path is not valid percent-encoding" });
          return;
        }
        try {
          return await handleApiRequest(deps.api, req, res, url, action, fingerprint);
        } catch (error) {
          // Our endpoint answers in JSON even when it fails, and shows no file paths.
          deps.logger.error({ err: error instanceof Error ? error.message : String(error), path }, "actionhero-ws: /api request failed");
          if (!res.headersSent) sendJson(res, 500, { error: "internal server error" });
          else res.destroy();
          return;
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}
