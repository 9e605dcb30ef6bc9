/**
 * The safety net for apps that never call `ws.attach(server)`: the first HTTP request
 * through the middleware attaches to the server it arrived on (with a warning, once), and
 * a request for Primus's path that already went past Primus is handed to it.
 */
import { IncomingMessage, ServerResponse, type Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as NetServer } from "node:net";
import type { Logger } from "../logger.js";

export interface LazyAttachDeps {
  /** Whether attaching is possible now (enabled, not attached yet, not closing). */
  canAttach(): boolean;
  attach(server: HttpServer | HttpsServer): void;
  /** The Primus request handler once attached (for the request that triggered it). */
  primusRequest(): ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  pathname: string;
  logger: Logger;
}

/** Returns the per-request check: true when the request was handed to Primus. */
export function createLazyAttach(deps: LazyAttachDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  let warned = false;
  return function lazyAttach(req, res) {
    const server = (req.socket as { server?: unknown }).server;
    if (!deps.canAttach() || !(server instanceof NetServer)) return false;
    if (!warned) {
      warned = true;
      deps.logger.warn({}, "actionhero-ws: attached lazily on the first HTTP request; call ws.attach(server) after listen() so the first websocket upgrade is not missed");
    }
    deps.attach(server as HttpServer | HttpsServer);
    const path = (req.url ?? "/").split("?")[0];
    const handOver = deps.primusRequest();
    if (!path.startsWith(deps.pathname) || !handOver) return false;
    // This request went past Primus: hand it over, as Primus would have received it.
    // Express 5 gives req a getter-only `query` that Primus assigns: back to plain node objects.
    Object.setPrototypeOf(req, IncomingMessage.prototype);
    Object.setPrototypeOf(res, ServerResponse.prototype);
    handOver(req, res);
    return true;
  };
}
