/**
 * `actionheroWs(options)`: the Runtime (lib/runtime.ts) and the HTTP side
 * (lib/http/express-middleware.ts) as one Express middleware function with the server API.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type Primus from "primus";
import type { ActionheroWsOptions, ResolvedOptions } from "./options.js";
import type { ActionRegistry } from "./actions/action-registry.js";
import type { Connection } from "./connection/connection.js";
import type { ConnectionRegistry } from "./connection/connection-registry.js";
import type { ChatRoom } from "./chat/chat-room.js";
import { createHttpSide, type Next } from "./http/express-middleware.js";
import { Runtime, type AnyServer, type CloseOptions, type Stats } from "./runtime.js";

export type { CloseOptions, Stats } from "./runtime.js";

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
    api: { actions: runtime.actions, processor: runtime.processor, maxBodyBytes: runtime.options.server.maxLength, bodyTimeoutMs: runtime.options.apiTimeoutMs, serverName: "actionhero-ws" },
    client: () => runtime.client(),
    logger: runtime.logger,
  });

  const middleware = function actionheroWsMiddleware(req: IncomingMessage, res: ServerResponse, next: Next): void {
    if (runtime.lazyAttach(req, res)) return;
    void httpSide(req, res, next);
  } as ActionheroWs;

  Object.defineProperties(middleware, {
    id: { get: () => runtime.options.id },
    options: { get: () => runtime.options },
    connections: { get: () => runtime.connections },
    actions: { get: () => runtime.actions },
    chatRoom: { get: () => runtime.chatRoom },
    primus: { get: () => runtime.primus },
  });
  middleware.attach = (server) => {
    runtime.attach(server);
    return middleware;
  };
  middleware.ready = () => runtime.ready();
  middleware.close = (closeOptions) => runtime.close(closeOptions);
  middleware.verbs = (connection, verb, words) => runtime.frames.verbs(connection, verb, words);
  middleware.stats = () => runtime.stats();
  middleware.on = ((event: string, listener: (...args: never[]) => void) => {
    runtime.on(event, listener as (...args: unknown[]) => void);
    return middleware;
  }) as ActionheroWs["on"];
  middleware.off = (event, listener) => {
    runtime.off(event, listener as (...args: unknown[]) => void);
    return middleware;
  };
  return middleware;
}
