/**
 * The `chatRoom` API of Actionhero: rooms and members in the RoomStore, messages fanned
 * out over the MessageBus and delivered on each node only to that node's members
 * (room-delivery.ts). Membership bookkeeping is membership.ts's; this file decides who may
 * join, leave and say (names, limits, middleware) and reaches connections of other nodes
 * through the cluster RPC.
 */
import type { Connection } from "../connection/connection.js";
import type { ConnectionRegistry } from "../connection/connection-registry.js";
import type { ChatBusMessage, MessageBus } from "../stores/message-bus.js";
import type { MemberRecord, RoomStore } from "../stores/room-store.js";
import type { ClusterRpc } from "../cluster/cluster-rpc.js";
import type { Logger } from "../logger.js";
import { ChatMiddlewareChain, type ChatMiddleware, type ChatPayload, type ChatSender } from "./chat-middleware.js";
import type { Membership } from "./membership.js";
import { RoomDelivery, type LocalDelivery } from "./room-delivery.js";
import { chatErrors } from "./chat-errors.js";
import { assertRoomName } from "./room-name.js";
import { RoomHistoryReader, type RecoveryReply } from "./room-history-reader.js";
import { readWhenReady } from "./gap-repair.js";

export { chatErrors } from "./chat-errors.js";

export interface RoomStatus {
  room: string;
  members: Record<string, Record<string, unknown>>;
  membersCount: number;
}

/** The resolved options chat reads (defaults in options.ts). */
export interface ChatSettings {
  id: string;
  serverToken: string;
  rpcTimeout: number;
  defaultMiddlewarePriority: number;
  limits: { roomNameBytes: number; roomsPerConnection: number };
  history: { size: number } | false;
}

export interface ChatRoomDeps {
  store: RoomStore;
  bus: MessageBus;
  membership: Membership;
  connections: ConnectionRegistry;
  rpc: ClusterRpc;
  settings: ChatSettings;
  logger: Logger;
  deliver: LocalDelivery;
  /** A gap in a room's messages the history cannot fill: tell these members (runtime.ts sends the notice). */
  notifyLost?: (connections: ReadonlySet<Connection>, room: string) => void;
}

export class ChatRoom {
  readonly middleware: ChatMiddlewareChain;
  /** Delivers chat messages from the bus to this node's members (the bus router calls it). */
  readonly delivery: RoomDelivery;
  /** Missed and recent messages from the room's history (room-history-reader.ts). */
  readonly #history: RoomHistoryReader;
  readonly #deps: ChatRoomDeps & { nodeId: string; serverToken: string; roomNameBytes: number; roomsPerConnection: number };

  constructor(deps: ChatRoomDeps) {
    const { settings } = deps;
    this.#deps = { ...deps, nodeId: settings.id, serverToken: settings.serverToken, ...settings.limits };
    this.middleware = new ChatMiddlewareChain(settings.defaultMiddlewarePriority);
    this.delivery = new RoomDelivery({
      membership: deps.membership,
      middleware: this.middleware,
      deliver: deps.deliver,
      payloadOf: (message) => this.generateMessagePayload(message),
      nodeId: settings.id,
      timeoutMs: settings.rpcTimeout,
      logger: deps.logger,
      history: settings.history && deps.bus.history ? {
        read: (room, query) => readWhenReady(deps.bus, room, query, settings.rpcTimeout),
        size: settings.history.size,
        lost: (connections, room) => deps.notifyLost?.(connections, room),
      } : undefined,
    });
    this.#history = new RoomHistoryReader({
      bus: deps.bus,
      middleware: this.middleware,
      payloadOf: (message) => this.generateMessagePayload(message),
      size: settings.history ? settings.history.size : 0,
    });
    deps.rpc.allow("api.chatRoom.addMember", (id, room) => this.addMember(String(id), room as string));
    deps.rpc.allow("api.chatRoom.removeMember", (id, room) => this.removeMember(String(id), room as string));
  }

  /** Overridable: the frame delivered to clients for a bus message. */
  generateMessagePayload(message: ChatBusMessage): ChatPayload {
    const payload: ChatPayload = { message: message.message, room: message.connection.room, from: message.connection.id, context: "user", sentAt: message.sentAt };
    // Our additions when the room keeps history (Actionhero's client ignores them).
    if (message.offset !== undefined) {
      payload.offset = message.offset;
      payload.epoch = message.epoch;
    }
    return payload;
  }

  /** Overridable: what `roomStatus` shows of a stored member. */
  sanitizeMemberDetails(member: MemberRecord): Record<string, unknown> {
    return { id: member.id, joinedAt: member.joinedAt };
  }

  /** Overridable: what is stored for a member (`host` is needed by the ghost sweep). */
  generateMemberDetails(connection: Connection): MemberRecord {
    return { id: connection.id, joinedAt: Date.now(), host: this.#deps.nodeId };
  }

  addMiddleware(middleware: ChatMiddleware): void {
    this.middleware.add(middleware);
  }

  /** Creates a room; throws `room exists`. */
  async add(room: string): Promise<void> {
    assertRoomName(room, this.#deps.roomNameBytes);
    if (!(await this.#deps.store.addRoom(room))) throw new Error(chatErrors.roomExists);
  }

  /** Tells the members the room is gone, removes them everywhere, deletes the room. */
  async destroy(room: string): Promise<void> {
    assertRoomName(room, this.#deps.roomNameBytes);
    if (!(await this.#deps.store.roomExists(room))) throw new Error(chatErrors.noRoom);
    await this.#broadcastAndWait(room, chatErrors.roomDeleted);
    const members = await this.#deps.store.members(room);
    for (const [id, member] of Object.entries(members)) {
      await this.#removeMember(id, room, false, member.host).catch((error: unknown) =>
        this.#deps.logger.debug({ room, id, err: String(error) }, "actionhero-ws: member removal during destroy failed"));
    }
    await this.#deps.store.removeRoom(room);
  }

  async exists(room: string): Promise<boolean> {
    assertRoomName(room, this.#deps.roomNameBytes);
    return this.#deps.store.roomExists(room);
  }

  list(): Promise<string[]> {
    return this.#deps.store.listRooms();
  }

  async roomStatus(room: string): Promise<RoomStatus> {
    if (!room) throw new Error(chatErrors.roomRequired);
    assertRoomName(room, this.#deps.roomNameBytes);
    if (!(await this.#deps.store.roomExists(room))) throw new Error(chatErrors.noRoom);
    const stored = await this.#deps.store.members(room);
    const members: Record<string, Record<string, unknown>> = {};
    for (const [id, member] of Object.entries(stored)) members[id] = this.sanitizeMemberDetails(member);
    return { room, members, membersCount: Object.keys(members).length };
  }

  /**
   * Sends `message` to everyone in `room` on every node. `connection` is the sender
   * (must be in the room) or `{}`/null for the server (`from: "0"`).
   */
  async broadcast(connection: ChatSender | null | undefined, room: string, message: unknown): Promise<void> {
    await this.#publish(connection ?? {}, room, message);
  }

  /** Adds a connection (on any node) to a room; runs `join` middleware. */
  async addMember(connectionId: string, room: string): Promise<true> {
    const { connections, membership, roomNameBytes, roomsPerConnection, store } = this.#deps;
    const connection = connections.get(connectionId);
    if (!connection) return this.#remote("api.chatRoom.addMember", connectionId, room, true) as Promise<true>;
    assertRoomName(room, roomNameBytes);
    if (membership.isMemberOrJoining(connection, room)) throw new Error(chatErrors.alreadyInRoom(room));
    if (membership.roomsHeldOrJoining(connection) >= roomsPerConnection) {
      throw new Error(`connection is in too many rooms (limit ${roomsPerConnection})`);
    }
    await membership.join(connection, room, async () => {
      if (!(await store.roomExists(room))) throw new Error(chatErrors.noRoom);
      await this.middleware.runJoin(connection, room);
      return this.generateMemberDetails(connection);
    });
    return true;
  }

  /**
   * `roomAdd` with `since` (a client re-joining after a reconnect): checks `since`, joins,
   * then answers with the messages that followed it, or says they are gone.
   */
  async addMemberSince(connection: Connection, room: string, since: unknown): Promise<RecoveryReply> {
    assertRoomName(room, this.#deps.roomNameBytes);
    const checked = this.#history.checkSince(room, since);
    await this.#history.checkNotAhead(room, checked);
    await this.addMember(connection.id, room);
    return this.#history.recover(connection, room, checked);
  }

  /**
   * The newest messages of a room, oldest first (`{ limit?, before? }`). With `connection`
   * (the `roomHistory` verb) only a member may read, and its `say` middleware applies.
   */
  async history(room: string, options?: unknown, connection?: Connection): Promise<ChatPayload[]> {
    assertRoomName(room, this.#deps.roomNameBytes);
    if (connection && !connection.rooms.includes(room)) throw new Error(chatErrors.notInRoom(room));
    return this.#history.recent(room, options, connection);
  }

  /** Removes a connection (on any node) from a room; runs `leave` middleware (a throw keeps it in). */
  removeMember(connectionId: string, room: string): Promise<true> {
    return this.#removeMember(connectionId, room, true);
  }

  /** `host`: the member's node when the caller knows it (looked up otherwise). */
  async #removeMember(connectionId: string, room: string, toWaitRemote: boolean, host?: string): Promise<true> {
    const { connections, membership, store, logger } = this.#deps;
    const connection = connections.get(connectionId);
    if (!connection) {
      // The command goes to the node holding the connection, named by its member record.
      const node = host ?? (store.shared ? (await store.member(room, connectionId))?.host : undefined);
      return this.#remote("api.chatRoom.removeMember", connectionId, room, toWaitRemote, node) as Promise<true>;
    }
    if (!connection.rooms.includes(room)) throw new Error(chatErrors.notInRoom(room));
    if (!(await store.roomExists(room))) {
      // Gone meanwhile (destroy() on another node does not wait for this node's removal):
      // the connection must not stay stuck in a room that no longer exists.
      await this.middleware.runLeave(connection, room).catch((error: unknown) =>
        logger.debug({ room, err: String(error) }, "actionhero-ws: leave middleware threw for a deleted room"));
      await membership.leave(connection, room);
      throw new Error(chatErrors.noRoom);
    }
    await this.middleware.runLeave(connection, room);
    await membership.leave(connection, room);
    return true;
  }

  /**
   * A connection is gone: leave every room. Unlike Actionhero a throwing `leave`
   * middleware cannot keep a closed connection in its rooms.
   */
  async removeConnection(connection: Connection): Promise<void> {
    const { membership, logger } = this.#deps;
    for (const room of [...connection.rooms]) {
      try {
        await this.middleware.runLeave(connection, room);
      } catch (error) {
        logger.debug({ room, err: String(error) }, "actionhero-ws: leave middleware threw during disconnect");
      }
      await membership.leave(connection, room).catch((error: unknown) =>
        logger.warn({ room, err: String(error) }, "actionhero-ws: could not remove member of closed connection"));
    }
  }

  /** Runs the `leave` middleware for members whose node died, so announcements go out once. */
  async announceGhostLeave(room: string, ghost: Connection): Promise<void> {
    try {
      await this.middleware.runLeave(ghost, room);
    } catch (error) {
      this.#deps.logger.debug({ room, err: String(error) }, "actionhero-ws: leave middleware threw for a swept member");
    }
  }

  /** `node`: where the connection lives when known; otherwise every node is asked. */
  async #remote(method: string, connectionId: string, room: string, wait: boolean, node?: string): Promise<unknown> {
    // Only a shared store has connections on other nodes.
    if (!this.#deps.store.shared) throw new Error(`connection not found (${connectionId})`);
    return this.#deps.rpc.call(method, connectionId, [connectionId, room], wait, node || undefined);
  }

  async #publish(sender: ChatSender, room: string, message: unknown, echo?: string): Promise<boolean> {
    if (!room || message === undefined || message === null || message === "" || message === 0 || message === false) {
      throw new Error(chatErrors.bothRequired);
    }
    assertRoomName(room, this.#deps.roomNameBytes);
    if (Array.isArray(sender.rooms) && !sender.rooms.includes(room)) throw new Error(chatErrors.notInRoom(room));
    const { nodeId, serverToken } = this.#deps;
    const bus: ChatBusMessage = {
      messageType: "chat", serverToken, serverId: nodeId, message, sentAt: Date.now(),
      connection: { id: typeof sender.id === "string" ? sender.id : "0", room },
    };
    const received = await this.middleware.runOnSayReceive(sender, room, this.generateMessagePayload(bus));
    if (!received) return false;
    // Only these fields travel (Actionhero): extra onSayReceive fields are dropped.
    const out: ChatBusMessage & { echo?: string } = {
      messageType: "chat", serverToken, serverId: nodeId, message: received.message, sentAt: received.sentAt,
      connection: { id: received.from, room: received.room },
    };
    if (echo) out.echo = echo;
    await this.#deps.bus.publish(out);
    return true;
  }

  /**
   * Broadcasts from the server and waits until this node has delivered it. Without local
   * members this node is not subscribed to the room: nothing to wait for.
   */
  async #broadcastAndWait(room: string, message: string): Promise<void> {
    if (this.#deps.membership.localMembers(room).size === 0) {
      await this.#publish({}, room, message);
      return;
    }
    const { echo, delivered } = this.delivery.expectEcho();
    try {
      if (await this.#publish({}, room, message, echo)) await delivered;
    } finally {
      this.delivery.forget(echo);
    }
  }
}
