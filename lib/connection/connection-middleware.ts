/**
 * Connection middleware with Actionhero's shape (`api.connections.addMiddleware`): `create`
 * runs when a socket opens, before its welcome, with the handshake request; a throw refuses
 * the connection. `destroy` runs once when an accepted connection ends. Sorted by priority
 * (lower first; equal priorities in the order they were added).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connection } from "./connection.js";

/**
 * The socket's handshake request (websocket upgrade or polling handshake) with whatever the
 * `handshake` Express middleware put on it (`session`, `user`, ...).
 */
export type HandshakeRequest = IncomingMessage & { session?: unknown; user?: unknown; [key: string]: unknown };

/**
 * Express middleware for the `handshake` option (`express-session`, `passport.session()`).
 * `res` is a stand-in, never the socket: headers, `statusCode`, `status()`, `end()`,
 * `json()`, `send()` (lib/http/handshake-response.ts). Declared as a method so Express's
 * `RequestHandler` (typed with its own Request and Response) is accepted.
 */
export type HandshakeMiddleware = {
  bivariant(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): unknown;
}["bivariant"];

export interface ConnectionMiddleware {
  /** Unique name; adding a name again replaces it. */
  name: string;
  /** Lower runs first; missing (or 0, as in Actionhero) means `defaultMiddlewarePriority`. */
  priority?: number;
  /** Before the welcome; may be async. A throw (or rejection) refuses the connection with its message. */
  create?: (connection: Connection, request: HandshakeRequest) => unknown;
  /** Once, when a connection whose `create` ran ends (after it left its rooms); errors are logged. */
  destroy?: (connection: Connection) => unknown;
}

interface Entry extends ConnectionMiddleware {
  priority: number;
  order: number;
}

const prefix = "actionhero-ws: ";

function check(middleware: ConnectionMiddleware): void {
  if (typeof middleware !== "object" || middleware === null || typeof middleware.name !== "string" || middleware.name === "") {
    throw new TypeError(`${prefix}connection middleware needs a name (a non-empty string)`);
  }
  const { name, priority, create, destroy } = middleware;
  if (priority !== undefined && !Number.isFinite(priority)) throw new TypeError(`${prefix}connection middleware "${name}": priority must be a number`);
  for (const [key, fn] of [["create", create], ["destroy", destroy]] as const) {
    if (fn !== undefined && typeof fn !== "function") throw new TypeError(`${prefix}connection middleware "${name}": ${key} must be a function`);
  }
  if (!create && !destroy) throw new TypeError(`${prefix}connection middleware "${name}" needs a create or a destroy function`);
}

export class ConnectionMiddlewareList {
  readonly #byName = new Map<string, Entry>();
  #sorted: readonly Entry[] = [];
  #added = 0;

  constructor(private readonly defaultPriority: number) {}

  add(middleware: ConnectionMiddleware): void {
    check(middleware);
    // `||`: Actionhero treats priority 0 as "none given" too.
    this.#byName.set(middleware.name, { ...middleware, priority: middleware.priority || this.defaultPriority, order: this.#added++ });
    this.#sorted = [...this.#byName.values()].sort((a, b) => a.priority - b.priority || a.order - b.order);
  }

  remove(name: string): boolean {
    const removed = this.#byName.delete(name);
    if (removed) this.#sorted = this.#sorted.filter((entry) => entry.name !== name);
    return removed;
  }

  names(): string[] {
    return this.#sorted.map((entry) => entry.name);
  }

  /** The middleware in running order; a snapshot (the array is replaced on every change). */
  get chain(): readonly ConnectionMiddleware[] {
    return this.#sorted;
  }
}

/**
 * Runs `create` of each middleware in order. Resolves with how many completed (all of them,
 * or fewer when the connection ended meanwhile); rejects with the first throw, after which
 * `completed` tells whose `destroy` must still run.
 */
export async function runCreate(
  chain: readonly ConnectionMiddleware[],
  connection: Connection,
  request: HandshakeRequest,
  progress: { completed: number },
): Promise<void> {
  for (const middleware of chain) {
    if (connection.destroyed) return;
    if (middleware.create) await middleware.create(connection, request);
    progress.completed++;
  }
}

/** Runs `destroy` of the first `count` middleware of `chain`; a throw is reported, the rest still run. */
export async function runDestroy(
  chain: readonly ConnectionMiddleware[],
  count: number,
  connection: Connection,
  failed: (name: string, error: unknown) => void,
): Promise<void> {
  for (const middleware of chain.slice(0, count)) {
    try {
      if (middleware.destroy) await middleware.destroy(connection);
    } catch (error) {
      failed(middleware.name, error);
    }
  }
}
