/**
 * `actionheroWs(options)`, the one public entry: the Runtime (lib/runtime.ts) and the HTTP
 * side (lib/http/) as one Express middleware function that also carries the server API.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type Primus from "primus";
import type { ActionheroWsOptions, ResolvedOptions } from "./options.js";
import type { ActionRegistry } from "./actions/action-registry.js";
import type { Connection } from "./connection/connection.js";
import type { ConnectionRegistry } from "./connection/connection-registry.js";
import type { ChatRoom } from "./chat/chat-room.js";
import type { Stats } from "./stats/stats.js";
import { createHttpSide, type Next } from "./http/express-middleware.js";
import { createLazyAttach } from "./http/lazy-attach.js";
import { Runtime, type AnyServer, type CloseOptions } from "./runtime.js";

export type { CloseOptions } from "./runtime.js";
export type { Stats } from "./stats/stats.js";

/** The middleware function plus the server-side API. */
export interface ActionheroWs {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** This node's id in the cluster. */
  readonly id: string;
  readonly options: Readonly<ResolvedOptions>;
  readonly connections: ConnectionRegistry;
  readonly actions: ActionRegistry;
  readonly chatRoom: ChatRoom;
  /** The Primus server once attached. */
  readonly primus: Primus | undefined;
  /** Binds the websocket side to this http(s) server; idempotent. */
  attach(server: AnyServer): ActionheroWs;
  /** Resolves when the store is connected, starting rooms exist and the client is written. */
  ready(): Promise<void>;
  /** Graceful shutdown; never closes the app's http server. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
  /** Runs a verb for a connection as Actionhero's `connection.verbs()`. */
  verbs(connection: Connection, verb: string, words: unknown[]): Promise<unknown>;
  stats(): Stats;
  on(event: "error", listener: (error: Error) => void): ActionheroWs;
  on(event: "connection" | "disconnection", listener: (connection: Connection) => void): ActionheroWs;
  off(event: string, listener: (...args: never[]) => void): ActionheroWs;
}

/** Creates the middleware. Throws a TypeError naming the key for an unknown or mistyped option. */
export function actionheroWs(options?: ActionheroWsOptions): ActionheroWs {
  const runtime = new Runtime(options);
  const httpSide = createHttpSide({
    options: runtime.options,
    api: { actions: runtime.actions, processor: runtime.inFlight, maxBodyBytes: runtime.options.server.maxLength, bodyTimeoutMs: runtime.options.apiTimeoutMs, serverName: "actionhero-ws", trustProxy: runtime.options.trustProxy },
    client: () => runtime.client(),
    logger: runtime.logger,
  });
  const lazyAttach = createLazyAttach({
    canAttach: () => runtime.canAttach(),
    attach: (server) => runtime.attach(server),
    primusRequest: () => {
      const transformer = runtime.primus?.transformer;
      return transformer ? (req, res) => transformer.request(req, res) : undefined;
    },
    pathname: runtime.options.server.pathname,
    logger: runtime.logger,
  });

  const middleware = function actionheroWsMiddleware(req: IncomingMessage, res: ServerResponse, next: Next): void {
    if (lazyAttach(req, res)) return;
    void httpSide(req, res, next);
  } as ActionheroWs;

  const api: Omit<ActionheroWs, "primus" | keyof Function> = {
    id: runtime.options.id,
    options: runtime.options,
    connections: runtime.connections,
    actions: runtime.actions,
    chatRoom: runtime.chatRoom,
    attach(server) {
      runtime.attach(server);
      return middleware;
    },
    ready: () => runtime.ready(),
    close: (closeOptions) => runtime.close(closeOptions),
    verbs: (connection, verb, words) => runtime.frames.verbs(connection, verb, words),
    stats: () => runtime.stats(),
    on: ((event: string, listener: (...args: never[]) => void) => {
      runtime.on(event, listener as (...args: unknown[]) => void);
      return middleware;
    }) as ActionheroWs["on"],
    off(event, listener) {
      runtime.off(event, listener as (...args: unknown[]) => void);
      return middleware;
    },
  };
  Object.assign(middleware, api);
  // Set by attach(), so read on each access.
  Object.defineProperty(middleware, "primus", { get: () => runtime.primus, enumerable: true });
  return middleware;
}
