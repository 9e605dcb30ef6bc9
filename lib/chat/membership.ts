/**
 * Room membership of this node's connections, with one owner: only this class adds and
 * removes a connection's rooms. It keeps the three views that must agree — the
 * connection's own room list (`connection.rooms`, read-only to everyone else), the local
 * index room -> members used for delivery, and the record stored for each member (to
 * write it again if the store lost it) — and tells the store, the transport's mirror and
 * the room subscriptions (room-subscriptions.ts: the first local member subscribes this
 * node to the room's channel, the last one's departure unsubscribes it after a linger).
 * Middleware and permission checks are the chat API's job (chat-room.ts), not this one's.
 */
import { roomList, type Connection } from "../connection/connection.js";
import type { MemberRecord, RoomStore } from "../stores/room-store.js";
import type { RoomSubscriptions } from "./room-subscriptions.js";

/** The transport's copy of membership (socket.io rooms, for encode-once broadcasts). */
export interface MembershipMirror {
  joined(connection: Connection, room: string): void;
  left(connection: Connection, room: string): void;
}

const none: ReadonlySet<Connection> = new Set();

export class Membership {
  readonly #local = new Map<string, Set<Connection>>();
  /** Joins in flight, so a concurrent duplicate join is refused (empty almost always). */
  readonly #joining = new Map<Connection, Set<string>>();
  readonly #records = new WeakMap<Connection, Map<string, MemberRecord>>();

  constructor(
    private readonly store: RoomStore,
    private readonly mirror: MembershipMirror,
    private readonly subscriptions: RoomSubscriptions,
  ) {}

  /** In the room, or joining it right now. */
  isMemberOrJoining(connection: Connection, room: string): boolean {
    return connection.rooms.includes(room) || (this.#joining.get(connection)?.has(room) ?? false);
  }

  /** Rooms held and being joined: what counts against `limits.roomsPerConnection`. */
  roomsHeldOrJoining(connection: Connection): number {
    return connection.rooms.length + (this.#joining.get(connection)?.size ?? 0);
  }

  /**
   * Joins: `check` runs first (room exists, middleware) while the join counts as in flight,
   * then this node's subscription to the room is confirmed and the record stored; only
   * then does the join resolve (and the client get its answer). A connection closed
   * meanwhile is not left in the store.
   */
  async join(connection: Connection, room: string, check: () => Promise<MemberRecord>): Promise<void> {
    let joining = this.#joining.get(connection);
    if (!joining) this.#joining.set(connection, (joining = new Set()));
    joining.add(room);
    let held = false;
    try {
      const record = await check();
      if (connection.destroyed) throw new Error("connection closed");
      await this.subscriptions.acquire(room);
      held = true;
      await this.store.setMember(room, record);
      if (connection.destroyed) {
        await this.store.removeMember(room, connection.id);
        throw new Error("connection closed");
      }
      held = false;
      connection[roomList] = [...connection.rooms, room];
      let records = this.#records.get(connection);
      if (!records) this.#records.set(connection, (records = new Map()));
      records.set(room, record);
      let members = this.#local.get(room);
      if (!members) this.#local.set(room, (members = new Set()));
      members.add(connection);
      this.mirror.joined(connection, room);
    } finally {
      if (held) this.subscriptions.release(room);
      joining.delete(room);
      if (joining.size === 0) this.#joining.delete(connection);
    }
  }

  /** Leaves locally at once, then in the store (a store failure rejects after the local leave). */
  async leave(connection: Connection, room: string): Promise<void> {
    if (connection.rooms.includes(room)) {
      connection[roomList] = connection.rooms.filter((name) => name !== room);
      this.subscriptions.release(room);
    }
    this.#records.get(connection)?.delete(room);
    const members = this.#local.get(room);
    if (members) {
      members.delete(connection);
      if (members.size === 0) this.#local.delete(room);
    }
    this.mirror.left(connection, room);
    await this.store.removeMember(room, connection.id);
  }

  /** This node's members of `room`. */
  localMembers(room: string): ReadonlySet<Connection> {
    return this.#local.get(room) ?? none;
  }

  /** The rooms with at least one member on this node. */
  localRooms(): IterableIterator<string> {
    return this.#local.keys();
  }

  /** Rooms with at least one member on this node. */
  get localRoomCount(): number {
    return this.#local.size;
  }

  /** Room channels this node is subscribed to (rooms with members, and lingering ones). */
  get subscribedRoomCount(): number {
    return this.subscriptions.count;
  }

  /** The record stored when `connection` joined `room` (while it is still in it). */
  recordOf(connection: Connection, room: string): MemberRecord | undefined {
    return connection.rooms.includes(room) ? this.#records.get(connection)?.get(room) : undefined;
  }

  /** True while `connection` is open and in or joining `room` on this node. */
  holds(connection: Connection | undefined, room: string): boolean {
    return connection !== undefined && !connection.destroyed && this.isMemberOrJoining(connection, room);
  }
}
