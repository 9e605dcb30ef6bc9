/**
 * The receiving end of a `say`: a chat message from the bus goes to this node's members of
 * its room, through the transport's encode-once broadcast, or one by one when `say`
 * middleware may change or drop it per recipient. Also lets the chat API wait until one
 * of its own broadcasts has been delivered here (see ChatRoom#destroy).
 */
import type { Connection } from "../connection/connection.js";
import type { ChatBusMessage } from "../stores/message-bus.js";
import type { Logger } from "../logger.js";
import type { ChatMiddlewareChain, ChatPayload } from "./chat-middleware.js";
import type { Membership } from "./membership.js";
import { GapRepair } from "./gap-repair.js";
import type { HistoryQuery, HistoryRead } from "../stores/room-history.js";

/** Sends one frame to many local connections (the transport may encode it once). */
export type LocalDelivery = (connections: ReadonlySet<Connection>, frame: ChatPayload, room: string) => void;

export interface RoomDeliveryDeps {
  membership: Membership;
  middleware: ChatMiddlewareChain;
  deliver: LocalDelivery;
  /** The frame members receive for a bus message (ChatRoom#generateMessagePayload). */
  payloadOf(message: ChatBusMessage): ChatPayload;
  nodeId: string;
  /** Longest wait for an echo. */
  timeoutMs: number;
  logger: Logger;
  /** With room history on: fill gaps in a room's offsets from it (gap-repair.ts). */
  history?: {
    read(room: string, query: HistoryQuery): Promise<HistoryRead>;
    size: number;
    /** a gap the history cannot fill: tell these members */
    lost(connections: ReadonlySet<Connection>, room: string): void;
  };
}

export class RoomDelivery {
  /** Waiters for our own broadcasts coming back from the bus. */
  readonly #echoes = new Map<string, () => void>();
  #echoSeq = 0;
  /** Follows each room's offsets when rooms keep history. */
  readonly gaps: GapRepair | undefined;

  constructor(private readonly deps: RoomDeliveryDeps) {
    const history = deps.history;
    this.gaps = history && new GapRepair({
      read: history.read,
      size: history.size,
      deliver: (message) => {
        const room = message.connection.room;
        const members = deps.membership.localMembers(room);
        if (members.size > 0) void this.#deliver(room, members, message)?.catch((error: unknown) => deps.logger.debug({ room, err: String(error) }, "actionhero-ws: a repaired message could not be delivered"));
      },
      lost: (room) => history.lost(deps.membership.localMembers(room), room),
      logger: deps.logger,
    });
  }

  /** A chat message from the bus (any node's, this one's included). */
  receive(message: ChatBusMessage & { echo?: unknown }): void {
    void this.#receive(message);
  }

  /**
   * An echo tag for a broadcast, and a promise that resolves once the message with that tag
   * was delivered here (or after the timeout: a lost message must not hold the caller).
   */
  expectEcho(): { echo: string; delivered: Promise<void> } {
    const echo = `${this.deps.nodeId}#${++this.#echoSeq}`;
    const delivered = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#echoes.delete(echo);
        resolve();
      }, this.deps.timeoutMs);
      timer.unref();
      this.#echoes.set(echo, () => {
        clearTimeout(timer);
        this.#echoes.delete(echo);
        resolve();
      });
    });
    return { echo, delivered };
  }

  /** Stops waiting for an echo that will never come (the broadcast was not sent). */
  forget(echo: string): void {
    this.#echoes.get(echo)?.();
  }

  async #receive(message: ChatBusMessage & { echo?: unknown }): Promise<void> {
    try {
      if (typeof message.connection !== "object" || message.connection === null || typeof message.connection.room !== "string") return;
      const room = message.connection.room;
      const members = this.deps.membership.localMembers(room);
      if (members.size === 0) {
        this.gaps?.forget(room);
        return;
      }
      if (message.offset !== undefined && this.gaps !== undefined && !this.gaps.admit(room, message)) return;
      const pending = this.#deliver(room, members, message);
      if (pending !== undefined) await pending;
    } finally {
      if (typeof message.echo === "string") this.#echoes.get(message.echo)?.();
    }
  }

  /** A promise only when `say` middleware runs per recipient: the encode-once path stays free of one. */
  #deliver(room: string, members: ReadonlySet<Connection>, message: ChatBusMessage): Promise<void> | undefined {
    const { middleware, logger } = this.deps;
    const payload = this.deps.payloadOf(message);
    if (!middleware.hasSay) {
      this.deps.deliver(members, payload, room);
      return undefined;
    }
    return Promise.all([...members].map(async (connection) => {
      try {
        const personal = await middleware.runSay(connection, room, payload);
        if (personal) connection.sendMessage(personal);
      } catch (error) {
        logger.debug({ room, err: String(error) }, "actionhero-ws: say middleware threw; recipient skipped");
      }
    })).then(() => undefined);
  }
}
