/**
 * The connections of this node, by id, and their lifecycle: a connection opened by the
 * transport is registered and welcomed here, and when it ends the `leaving` steps run
 * (it leaves its rooms) before it is removed.
 */
import { closeReasons, type Connection, type OutboundMessage } from "./connection.js";

export interface ConnectionLifecycle {
  /** The first frame every client receives (Actionhero's welcome). */
  welcome: OutboundMessage;
  /** A connection was registered (before its welcome is sent). */
  opened(connection: Connection): void;
  /** Runs when a connection ends, before it is removed from the registry. */
  leaving(connection: Connection): Promise<void>;
  /** A connection ended and was removed. */
  closed(connection: Connection): void;
}

export class ConnectionRegistry extends Map<string, Connection> {
  #lifecycle: ConnectionLifecycle | undefined;
  #closing = false;

  /** Set once by the runtime before the transport opens connections. */
  setLifecycle(lifecycle: ConnectionLifecycle): void {
    this.#lifecycle = lifecycle;
  }

  /**
   * A socket opened: register the connection and send the welcome. While the registry is
   * closing, the connection is ended at once and the client told to reconnect elsewhere.
   */
  open(connection: Connection): void {
    const lifecycle = this.#lifecycle;
    if (this.#closing || !lifecycle) {
      void connection.destroy({ reconnect: true, close: closeReasons.shutdown });
      return;
    }
    this.set(connection.id, connection);
    connection.cleanupHook = async () => {
      await lifecycle.leaving(connection);
      this.delete(connection.id);
      lifecycle.closed(connection);
    };
    lifecycle.opened(connection);
    connection.sendMessage(lifecycle.welcome);
  }

  /** From now on, sockets that open are ended at once (close() has begun). */
  refuseNew(): void {
    this.#closing = true;
  }

  /** Refuses new connections and ends every open one (`reconnect` tells clients whether to retry). */
  async closeAll(reconnect: boolean): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.values()].map((connection) => connection.destroy({ reconnect, close: closeReasons.shutdown })));
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
