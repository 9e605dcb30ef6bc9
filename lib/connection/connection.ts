/**
 * One websocket client, as Actionhero models it. The object is what actions, chat
 * middleware and `ws.connections` hand to application code.
 */
import { randomUUID } from "node:crypto";
import { prototypeFree } from "./prototype-free.js";

export type MessageId = string | number;

/** Anything the server sends; `context` defaults to "response". */
export interface OutboundMessage {
  context?: string;
  messageId?: MessageId;
  error?: unknown;
  [key: string]: unknown;
}

/**
 * A v4 UUID as one flat string. `randomUUID()` returns a tree of ~30 concatenated parts
 * (about 1 KiB of heap); a connection keeps its id for life, so copy it into one string.
 */
function flatUuid(): string {
  return Buffer.from(randomUUID(), "latin1").toString("latin1");
}

/**
 * Why the server ends a connection: the websocket close code and reason, and a sentence
 * for people. Every transport first gets them in a `close` notice frame (polling has no
 * close code of its own), then websockets close with the code.
 */
export interface CloseReason {
  code: number;
  /** A short stable word clients can compare ("rate limited"). */
  reason: string;
  message: string;
  /** false: the client was already told why in a frame of its own (a `refused` frame), so no close notice is sent. */
  notice?: false;
}

/** The reasons of the closes the server starts by itself (rate limits add their own, lib/protocol). */
export const closeReasons = {
  /** `connection.destroy()` by the application (or a cluster command). */
  destroyed: { code: 1000, reason: "destroyed", message: "the server closed this connection" },
  /** The client sent `quit` or `exit`. */
  quit: { code: 1000, reason: "quit", message: "closed at the client's request" },
  /** `ws.close()`: 1001 is the websocket code for a server going away. */
  shutdown: { code: 1001, reason: "server shutdown", message: "the server is shutting down" },
} as const satisfies Record<string, CloseReason>;

/** What the connection needs from the transport. */
export interface ConnectionTransport {
  /** Writes one already-shaped frame; false when it cannot be encoded (nothing was sent). */
  write(frame: object): boolean | void;
  /** Writes a frame already encoded for the wire (one encoding shared by many sockets). */
  writeEncoded?(packet: string): void;
  /** Sends the close notice, then ends the socket; `reconnect` tells the client whether it may retry. */
  end(reconnect: boolean, close: CloseReason): void;
  /** Transport name for stats: "websocket" or "polling". */
  name?(): string;
  /** Group membership below us (socket.io rooms), so a room broadcast is encoded once. */
  joinGroup?(group: string): void;
  leaveGroup?(group: string): void;
}

/** Sets the room list (frozen on the way in); only lib/chat/membership.ts writes through it. */
export const roomList: unique symbol = Symbol("actionhero-ws.roomList");
/** The connection's transport, for the transport layer's own broadcast path. */
export const transportOf: unique symbol = Symbol("actionhero-ws.transport");

/** Shared by every connection in no room (most of them): nothing allocated per socket. */
const noRooms: readonly string[] = Object.freeze([]);

export interface ConnectionInit {
  fingerprint?: string;
  remoteIP: string;
  remotePort: number | string;
  transport: ConnectionTransport;
  /** Only for stand-ins of connections on other nodes (swept members). */
  id?: string;
}

/** Fields `detailsView` returns, in Actionhero's order. */
export interface ConnectionDetails {
  id: string;
  fingerprint: string;
  remoteIP: string;
  remotePort: number | string;
  params: Record<string, unknown>;
  connectedAt: number;
  rooms: string[];
  totalActions: number;
  pendingActions: number;
}

export class Connection {
  readonly id: string;
  readonly type = "websocket" as const;
  readonly fingerprint: string;
  readonly remoteIP: string;
  readonly remotePort: number | string;
  readonly connectedAt = Date.now();
  readonly canChat = true;
  #rooms: readonly string[] = noRooms;
  params: Record<string, unknown> = prototypeFree();
  /** Free space for the application (Actionhero's `connection.session`). */
  session: Record<string, unknown> = {};
  /** The latest frame's id: fills `messageId` of replies sent without one. */
  messageId: MessageId = "0";
  totalActions = 0;
  pendingActions = 0;
  destroyed = false;
  /** True while connection middleware's `create` runs: the welcome is not sent yet and frames wait. */
  opening = false;
  readonly #transport: ConnectionTransport;
  /** Runs once when the connection goes away (set by the ConnectionRegistry that opened it). */
  cleanupHook?: (connection: Connection) => Promise<void>;
  #destroying?: Promise<void>;

  constructor(init: ConnectionInit) {
    this.id = init.id ?? flatUuid();
    this.fingerprint = init.fingerprint ?? this.id;
    this.remoteIP = init.remoteIP;
    this.remotePort = init.remotePort;
    this.#transport = init.transport;
  }

  /** The rooms this connection is in (joined through the chat API): a frozen array, replaced on every join and leave. */
  get rooms(): readonly string[] {
    return this.#rooms;
  }

  set [roomList](rooms: readonly string[]) {
    this.#rooms = Object.freeze([...rooms]);
  }

  get [transportOf](): ConnectionTransport {
    return this.#transport;
  }

  /** "websocket" or "polling": what the socket runs on right now. */
  get transport(): string {
    return this.#transport.name?.() ?? "websocket";
  }

  /**
   * Sends a message to this client. Without `context` it is a "response"; a response
   * without `messageId` gets the id of the latest frame (Actionhero's rule). An Error in
   * `error` is sent as its message.
   */
  sendMessage(message: OutboundMessage | string): void {
    if (this.destroyed) return;
    const frame: OutboundMessage = typeof message === "string" ? { message } : { ...message };
    if (!frame.context) frame.context = "response";
    if (frame.context === "response" && frame.messageId === undefined) frame.messageId = this.messageId;
    if (frame.error instanceof Error) frame.error = String(frame.error.message);
    this.#transport.write(frame);
  }

  /**
   * Writes a frame the protocol layer already shaped (`context`, `messageId`, errors as
   * strings) without sendMessage's copy: the path of every action reply. False when the
   * frame cannot be encoded as JSON (a cycle, a BigInt): nothing was sent.
   */
  sendFrame(frame: OutboundMessage): boolean {
    return this.destroyed || this.#transport.write(frame) !== false;
  }

  details(): ConnectionDetails {
    return {
      id: this.id,
      fingerprint: this.fingerprint,
      remoteIP: this.remoteIP,
      remotePort: this.remotePort,
      params: { ...this.params },
      connectedAt: this.connectedAt,
      rooms: [...this.rooms],
      totalActions: this.totalActions,
      pendingActions: this.pendingActions,
    };
  }

  /**
   * Ends the socket and leaves every room. `reconnect: false` (the default, like
   * Actionhero's `destroy()`) tells the client not to retry; `close` is what it is told
   * (default: `destroyed`, code 1000).
   */
  destroy(options: { reconnect?: boolean; close?: CloseReason } = {}): Promise<void> {
    if (!this.#destroying) {
      this.#transport.end(options.reconnect ?? false, options.close ?? closeReasons.destroyed);
      this.#destroying = this.cleanup();
    }
    return this.#destroying;
  }

  /**
   * A stand-in for a member whose node died: leave middleware gets a real Connection
   * object with that id and room, but nothing can be sent through it.
   */
  static detached(id: string, rooms: string[]): Connection {
    const ghost = new Connection({ id, remoteIP: "", remotePort: 0, transport: { write() {}, end() {} } });
    ghost[roomList] = rooms;
    ghost.destroyed = true;
    return ghost;
  }

  /** Called when the socket is gone (client left, reaped, or destroy()). */
  cleanup(): Promise<void> {
    if (!this.#destroying) {
      this.#destroying = (async () => {
        this.destroyed = true;
        await this.cleanupHook?.(this);
      })();
    }
    return this.#destroying;
  }
}
