/**
 * The `chatRoom` API of Actionhero: rooms and members in the RoomStore, messages fanned
 * out over the MessageBus, and delivered on each node only to that node's members.
 */
import type { Connection } from "../connection/connection.js";
import type { ConnectionRegistry } from "../connection/connection-registry.js";
import type { ChatBusMessage, MessageBus } from "../stores/message-bus.js";
import type { MemberRecord, RoomStore } from "../stores/room-store.js";
import type { Logger } from "../logger.js";
import { ChatMiddlewareChain, type ChatMiddleware, type ChatPayload, type ChatSender } from "./chat-middleware.js";
import { ClusterRpc } from "./cluster-rpc.js";
import { LocalMembers } from "./local-members.js";
import { assertRoomName } from "./room-name.js";

export const chatErrors = {
  bothRequired: "both room and message are required",
  notInRoom: (room: string) => `connection not in this room (${room})`,
  alreadyInRoom: (room: string) => `connection already in this room (${room})`,
  roomDeleted: "this room has been deleted",
  noRoom: "room does not exist",
  roomExists: "room exists",
  roomRequired: "a room is required",
} as const;

/** Sends one frame to many local connections (the transport may encode it once). */
export type LocalDelivery = (connections: ReadonlySet<Connection>, frame: ChatPayload, room: string) => void;

export interface RoomStatus {
  room: string;
  members: Record<string, Record<string, unknown>>;
  membersCount: number;
}

export interface ChatRoomDeps {
  store: RoomStore;
  bus: MessageBus;
  connections: ConnectionRegistry;
  nodeId: string;
  serverToken: string;
  rpcTimeout: number;
  defaultMiddlewarePriority: number;
  roomNameBytes: number;
  roomsPerConnection: number;
  logger: Logger;
  deliver: LocalDelivery;
  /** Called when membership changes, so the transport can mirror it. */
  onJoin?: (connection: Connection, room: string) => void;
  onLeave?: (connection: Connection, room: string) => void;
}

export class ChatRoom {
  readonly middleware: ChatMiddlewareChain;
  readonly local = new LocalMembers();
  readonly rpc: ClusterRpc;
  readonly #deps: ChatRoomDeps;
  /** Waiters for our own broadcasts coming back from the bus (see destroy()). */
  readonly #echoes = new Map<string, () => void>();
  #echoSeq = 0;
  /** What this node stored for each of its members, to write it again if Redis lost it. */
  readonly #stored = new WeakMap<Connection, Map<string, MemberRecord>>();

  constructor(deps: ChatRoomDeps) {
    this.#deps = deps;
    this.middleware = new ChatMiddlewareChain(deps.defaultMiddlewarePriority);
    this.rpc = new ClusterRpc(deps.bus, deps.nodeId, deps.serverToken, deps.rpcTimeout, (id) => deps.connections.has(id), deps.logger);
    this.rpc.allow("api.chatRoom.addMember", (id, room) => this.addMember(String(id), room as string));
    this.rpc.allow("api.chatRoom.removeMember", (id, room) => this.removeMember(String(id), room as string));
    this.rpc.allow("api.connections.sendMessage", async (id, message) => {
      deps.connections.get(String(id))?.sendMessage(message as Record<string, unknown>);
      return true;
    });
    this.rpc.allow("api.connections.destroy", async (id) => {
      await deps.connections.get(String(id))?.destroy();
      return true;
    });
    deps.bus.onMessage((message) => {
      if (!message || message.serverToken !== deps.serverToken) return;
      if (message.messageType === "chat") void this.#receive(message);
      else if (message.messageType === "do" || message.messageType === "doResponse") {
        void this.rpc.handle(message).catch((error: unknown) => deps.logger.warn({ err: String(error) }, "actionhero-ws: cluster command failed"));
      }
    });
  }

  /** Overridable: the frame delivered to clients for a bus message. */
  generateMessagePayload(message: ChatBusMessage): ChatPayload {
    return { message: message.message, room: message.connection.room, from: message.connection.id, context: "user", sentAt: message.sentAt };
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
    for (const id of Object.keys(members)) {
      await this.removeMember(id, room, false).catch((error: unknown) =>
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
    const connection = this.#deps.connections.get(connectionId);
    if (!connection) return this.#remote("api.chatRoom.addMember", connectionId, room, true) as Promise<true>;
    assertRoomName(room, this.#deps.roomNameBytes);
    if (connection.rooms.includes(room) || connection.joining.has(room)) throw new Error(chatErrors.alreadyInRoom(room));
    if (connection.rooms.length + connection.joining.size >= this.#deps.roomsPerConnection) {
      throw new Error(`connection is in too many rooms (limit ${this.#deps.roomsPerConnection})`);
    }
    connection.joining.add(room);
    try {
      if (!(await this.#deps.store.roomExists(room))) throw new Error(chatErrors.noRoom);
      await this.middleware.runJoin(connection, room);
      if (connection.destroyed) throw new Error("connection closed");
      const record = this.generateMemberDetails(connection);
      await this.#deps.store.setMember(room, record);
      if (connection.destroyed) {
        await this.#deps.store.removeMember(room, connection.id);
        throw new Error("connection closed");
      }
      connection.rooms.push(room);
      if (!this.#stored.has(connection)) this.#stored.set(connection, new Map());
      this.#stored.get(connection)!.set(room, record);
      this.local.add(room, connection);
      this.#deps.onJoin?.(connection, room);
    } finally {
      connection.joining.delete(room);
    }
    return true;
  }

  /** Removes a connection (on any node) from a room; runs `leave` middleware (a throw keeps it in). */
  async removeMember(connectionId: string, room: string, toWaitRemote = true): Promise<true> {
    const connection = this.#deps.connections.get(connectionId);
    if (!connection) return this.#remote("api.chatRoom.removeMember", connectionId, room, toWaitRemote) as Promise<true>;
    if (!connection.rooms.includes(room)) throw new Error(chatErrors.notInRoom(room));
    if (!(await this.#deps.store.roomExists(room))) {
      // Gone meanwhile (destroy() on another node does not wait for this node's removal):
      // the connection must not stay stuck in a room that no longer exists.
      await this.middleware.runLeave(connection, room).catch((error: unknown) =>
        this.#deps.logger.debug({ room, err: String(error) }, "actionhero-ws: leave middleware threw for a deleted room"));
      await this.#forget(connection, room);
      throw new Error(chatErrors.noRoom);
    }
    await this.middleware.runLeave(connection, room);
    await this.#forget(connection, room);
    return true;
  }

  /**
   * A connection is gone: leave every room. Unlike Actionhero a throwing `leave`
   * middleware cannot keep a closed connection in its rooms.
   */
  async removeConnection(connection: Connection): Promise<void> {
    for (const room of [...connection.rooms]) {
      try {
        await this.middleware.runLeave(connection, room);
      } catch (error) {
        this.#deps.logger.debug({ room, err: String(error) }, "actionhero-ws: leave middleware threw during disconnect");
      }
      await this.#forget(connection, room).catch((error: unknown) =>
        this.#deps.logger.warn({ room, err: String(error) }, "actionhero-ws: could not remove member of closed connection"));
    }
  }

  /**
   * After the store reconnected: Redis may have restarted empty, and removals tried while
   * it was down failed. Writes this node's members again (original records) in the rooms
   * that exist, and deletes records of this node whose connection is no longer in the room
   * (nobody else would: this node is alive, so the ghost sweep never touches them).
   */
  async reconcileMembers(): Promise<void> {
    const { store, connections, nodeId, logger } = this.#deps;
    for (const connection of [...connections.values()]) {
      for (const room of [...connection.rooms]) {
        try {
          // Redis came back without the room while our members are still in it: the room
          // existed, so bring it back rather than strand them in a room roomView denies.
          if (!(await store.roomExists(room)) && (await store.addRoom(room))) {
            logger.info({ room }, "actionhero-ws: re-created a room that Redis lost");
          }
          // checked right before the write: a leave issued since then is sent after it
          const record = this.#stored.get(connection)?.get(room);
          if (!record || connection.destroyed || !connection.rooms.includes(room)) continue;
          await store.setMember(room, record);
        } catch (error) {
          logger.warn({ room, err: String(error) }, "actionhero-ws: could not restore a member after reconnecting");
        }
      }
    }
    try {
      for (const room of await store.listRooms()) {
        for (const [id, member] of Object.entries(await store.members(room))) {
          if (member.host !== nodeId) continue;
          const connection = connections.get(id);
          if (connection && !connection.destroyed && (connection.rooms.includes(room) || connection.joining.has(room))) continue;
          await store.removeMember(room, id);
        }
      }
    } catch (error) {
      logger.warn({ err: String(error) }, "actionhero-ws: could not remove stale members after reconnecting");
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

  async #forget(connection: Connection, room: string): Promise<void> {
    const index = connection.rooms.indexOf(room);
    if (index >= 0) connection.rooms.splice(index, 1);
    this.#stored.get(connection)?.delete(room);
    this.local.remove(room, connection);
    this.#deps.onLeave?.(connection, room);
    await this.#deps.store.removeMember(room, connection.id);
  }

  async #remote(method: string, connectionId: string, room: string, wait: boolean): Promise<unknown> {
    if (this.#deps.store.kind === "memory") throw new Error(`connection not found (${connectionId})`);
    return this.rpc.call(method, connectionId, [connectionId, room], wait);
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

  /** Broadcasts from the server and waits until this node has delivered it. */
  async #broadcastAndWait(room: string, message: string): Promise<void> {
    const echo = `${this.#deps.nodeId}#${++this.#echoSeq}`;
    const delivered = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#echoes.delete(echo), this.#deps.rpcTimeout);
      timer.unref();
      this.#echoes.set(echo, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (await this.#publish({}, room, message, echo)) {
      await Promise.race([delivered, new Promise((r) => setTimeout(r, this.#deps.rpcTimeout).unref())]);
    }
    this.#echoes.delete(echo);
  }

  async #receive(message: ChatBusMessage & { echo?: unknown }): Promise<void> {
    try {
      if (typeof message.connection !== "object" || message.connection === null || typeof message.connection.room !== "string") return;
      const room = message.connection.room;
      const members = this.local.of(room);
      if (members.size > 0) {
        const payload = this.generateMessagePayload(message);
        if (!this.middleware.hasSay) {
          this.#deps.deliver(members, payload, room);
        } else {
          await Promise.all([...members].map(async (connection) => {
            try {
              const personal = await this.middleware.runSay(connection, room, payload);
              if (personal) connection.sendMessage(personal);
            } catch (error) {
              this.#deps.logger.debug({ room, err: String(error) }, "actionhero-ws: say middleware threw; recipient skipped");
            }
          }));
        }
      }
    } finally {
      if (typeof message.echo === "string") this.#echoes.get(message.echo)?.();
    }
  }
}
