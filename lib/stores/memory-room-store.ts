/**
 * The embedded store used when no Redis is configured: one process, one node. Rooms and
 * members mirror the Redis layout (a set of room names, and per room a map of connection
 * id -> JSON record), so both stores answer the shared contract the same way: records go
 * through JSON like they would through Redis, and a members map disappears when empty.
 */
import { EventEmitter } from "node:events";
import type { MemberRecord, RoomStore, SweptMember } from "./room-store.js";

export class MemoryRoomStore extends EventEmitter implements RoomStore {
  readonly kind = "memory" as const;
  readonly shared = false;
  readonly #rooms = new Set<string>();
  /** room -> connection id -> member record as JSON text */
  readonly #members = new Map<string, Map<string, string>>();

  /** Always usable: there is nothing to connect to. */
  get ready(): boolean {
    return true;
  }

  async start(): Promise<void> {
    this.emit("ready");
  }

  async close(): Promise<void> {
    // nothing to release: no timers, no sockets
  }

  async addRoom(room: string): Promise<boolean> {
    if (this.#rooms.has(room)) return false;
    this.#rooms.add(room);
    return true;
  }

  async removeRoom(room: string): Promise<boolean> {
    this.#members.delete(room);
    return this.#rooms.delete(room);
  }

  async roomExists(room: string): Promise<boolean> {
    return this.#rooms.has(room);
  }

  async listRooms(): Promise<string[]> {
    return [...this.#rooms];
  }

  /** Throws (TypeError) when the record cannot be stored as JSON, as the Redis store does. */
  async setMember(room: string, member: MemberRecord): Promise<void> {
    const json = JSON.stringify(member);
    let members = this.#members.get(room);
    if (members === undefined) {
      members = new Map();
      this.#members.set(room, members);
    }
    members.set(member.id, json);
  }

  async removeMember(room: string, connectionId: string): Promise<boolean> {
    const members = this.#members.get(room);
    if (members === undefined || !members.delete(connectionId)) return false;
    if (members.size === 0) this.#members.delete(room);
    return true;
  }

  async member(room: string, connectionId: string): Promise<MemberRecord | undefined> {
    const json = this.#members.get(room)?.get(connectionId);
    return json === undefined ? undefined : (JSON.parse(json) as MemberRecord);
  }

  /** A fresh copy each call; null-prototype so a connection id like `__proto__` is safe. */
  async members(room: string): Promise<Record<string, MemberRecord>> {
    const result: Record<string, MemberRecord> = Object.create(null);
    for (const [id, json] of this.#members.get(room) ?? []) {
      result[id] = JSON.parse(json) as MemberRecord;
    }
    return result;
  }

  /** One node, which is alive while it runs: there is never anyone to sweep. */
  async sweepDeadMembers(): Promise<SweptMember[]> {
    return [];
  }
}
