/**
 * The connections of this node, by id, and their lifecycle: a connection opened by the
 * transport runs the connection middleware's `create` (which may refuse it), then is
 * registered and welcomed here; when it ends the `leaving` steps run (it leaves its rooms),
 * then the middleware's `destroy`, before it is removed.
 */
import { closeReasons, type CloseReason, type Connection, type OutboundMessage } from "./connection.js";
import { ConnectionMiddlewareList, runCreate, runDestroy, type ConnectionMiddleware, type HandshakeRequest } from "./connection-middleware.js";
import { ConnectionSelection, matches, selectorProblem, type ConnectionSelector, type EveryNode, type SessionValue } from "./connection-selection.js";

export interface ConnectionLifecycle {
  /** The first frame every client receives (Actionhero's welcome). */
  welcome: OutboundMessage;
  /** A connection was registered (before its welcome is sent). */
  opened(connection: Connection): void;
  /** Its welcome went out: frames that waited for it may run now. */
  welcomed(connection: Connection): void;
  /** The one frame a connection refused by a `create` middleware receives. */
  refusal(error: unknown): OutboundMessage;
  /** A `create` middleware refused a connection (after it was told and closed). */
  refused(connection: Connection, error: unknown): void;
  /** A middleware's `destroy` threw (reported, not rethrown). */
  destroyFailed(connection: Connection, middleware: string, error: unknown): void;
  /** Runs when a connection ends, before it is removed from the registry. */
  leaving(connection: Connection): Promise<void>;
  /** A connection ended and was removed. */
  closed(connection: Connection): void;
  /** Sends a command about a selection to the other nodes. */
  everyNode: EveryNode;
}

/** The websocket close of a connection refused by a `create` middleware. */
export const refusedClose: CloseReason = { code: 1008, reason: "refused", message: "refused by the server's connection middleware", notice: false };

export class ConnectionRegistry extends Map<string, Connection> {
  #lifecycle: ConnectionLifecycle | undefined;
  #closing = false;
  #middleware: ConnectionMiddlewareList | undefined;
  /** Connections whose `create` middleware is running (not registered yet). */
  readonly #opening = new Set<Connection>();
  readonly #cleanups = new WeakMap<readonly ConnectionMiddleware[], (connection: Connection) => Promise<void>>();

  /** Set once by the runtime before the transport opens connections. */
  setLifecycle(lifecycle: ConnectionLifecycle, defaultPriority: number): void {
    this.#lifecycle = lifecycle;
    this.#middleware = new ConnectionMiddlewareList(defaultPriority);
  }

  /** Adds (or replaces, by name) a connection middleware; a malformed one is a TypeError. */
  addMiddleware(middleware: ConnectionMiddleware): void {
    this.#middleware!.add(middleware);
  }

  removeMiddleware(name: string): boolean {
    return this.#middleware!.remove(name);
  }

  /** Names in running order. */
  middlewareNames(): string[] {
    return this.#middleware!.names();
  }

  /**
   * A socket opened: run the `create` middleware, then register the connection and send
   * the welcome. Returns a promise only while middleware runs. While the registry is
   * closing, the connection is ended at once and the client told to reconnect elsewhere.
   */
  open(connection: Connection, request: HandshakeRequest): void | Promise<void> {
    const lifecycle = this.#lifecycle;
    if (this.#closing || !lifecycle) {
      void connection.destroy({ reconnect: true, close: closeReasons.shutdown });
      return;
    }
    const chain = this.#middleware!.chain;
    if (chain.length === 0) return this.#accept(connection, lifecycle, chain);
    connection.opening = true;
    this.#opening.add(connection);
    return this.#openThrough(connection, request, lifecycle, chain);
  }

  async #openThrough(connection: Connection, request: HandshakeRequest, lifecycle: ConnectionLifecycle, chain: readonly ConnectionMiddleware[]): Promise<void> {
    const progress = { completed: 0 };
    try {
      await runCreate(chain, connection, request, progress);
    } catch (error) {
      this.#opening.delete(connection);
      // The thrower's own `destroy` does not run: its `create` did not complete.
      if (!connection.destroyed) {
        connection.sendMessage(lifecycle.refusal(error));
        // The client is told not to reconnect (it would only be refused again).
        await connection.destroy({ close: refusedClose });
        lifecycle.refused(connection, error);
      }
      await this.#destroyMiddleware(connection, lifecycle, chain, progress.completed);
      return;
    }
    this.#opening.delete(connection);
    // Ended meanwhile (the client left, a logout, close()): never registered, never welcomed.
    if (connection.destroyed || this.#closing) {
      if (!connection.destroyed) void connection.destroy({ reconnect: true });
      await this.#destroyMiddleware(connection, lifecycle, chain, progress.completed);
      return;
    }
    this.#accept(connection, lifecycle, chain);
  }

  #accept(connection: Connection, lifecycle: ConnectionLifecycle, chain: readonly ConnectionMiddleware[]): void {
    this.set(connection.id, connection);
    connection.cleanupHook = this.#cleanupFor(lifecycle, chain);
    lifecycle.opened(connection);
    connection.sendMessage(lifecycle.welcome);
    if (connection.opening) {
      connection.opening = false;
      lifecycle.welcomed(connection);
    }
  }

  /**
   * The end of every connection opened under one middleware chain: one function per chain
   * (the chain array is replaced when middleware changes), not a closure per connection.
   */
  #cleanupFor(lifecycle: ConnectionLifecycle, chain: readonly ConnectionMiddleware[]): (connection: Connection) => Promise<void> {
    let cleanup = this.#cleanups.get(chain);
    if (cleanup === undefined) {
      cleanup = async (connection: Connection) => {
        await lifecycle.leaving(connection);
        await this.#destroyMiddleware(connection, lifecycle, chain, chain.length);
        this.delete(connection.id);
        lifecycle.closed(connection);
      };
      this.#cleanups.set(chain, cleanup);
    }
    return cleanup;
  }

  #destroyMiddleware(connection: Connection, lifecycle: ConnectionLifecycle, chain: readonly ConnectionMiddleware[], count: number): Promise<void> {
    if (count === 0) return Promise.resolve();
    return runDestroy(chain, count, connection, (name, error) => lifecycle.destroyFailed(connection, name, error));
  }

  /** This node's connections of one browser (its fingerprint cookie), and the same on every node. */
  byFingerprint(fingerprint: string): ConnectionSelection {
    return this.#select({ fingerprint });
  }

  /** Connections whose `session[key] === value` (e.g. a user id set in `create`), on every node. */
  bySession(key: string, value: SessionValue): ConnectionSelection {
    return this.#select({ sessionKey: key, value });
  }

  #select(selector: ConnectionSelector): ConnectionSelection {
    const problem = selectorProblem(selector);
    if (problem) throw new TypeError(`actionhero-ws: ${problem}`);
    return new ConnectionSelection(selector, (s) => this.matching(s), (command, s, message) => this.#lifecycle!.everyNode(command, s, message));
  }

  /** This node's connections (and those still opening) that a selector matches. */
  matching(selector: ConnectionSelector): Connection[] {
    const found: Connection[] = [];
    for (const connection of this.values()) if (matches(connection, selector)) found.push(connection);
    for (const connection of this.#opening) if (!connection.destroyed && matches(connection, selector)) found.push(connection);
    return found;
  }

  /** From now on, sockets that open are ended at once (close() has begun). */
  refuseNew(): void {
    this.#closing = true;
  }

  /** Refuses new connections and ends every open one (`reconnect` tells clients whether to retry). */
  async closeAll(reconnect: boolean): Promise<void> {
    this.#closing = true;
    const all = [...this.values(), ...this.#opening];
    await Promise.allSettled(all.map((connection) => connection.destroy({ reconnect, close: closeReasons.shutdown })));
  }

  /** Connections by transport name, for stats. */
  countByTransport(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const connection of this.values()) {
      counts[connection.transport] = (counts[connection.transport] ?? 0) + 1;
    }
    return counts;
  }
}
