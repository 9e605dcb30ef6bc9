/**
 * Where rooms and their members live. Two implementations: the embedded in-memory store
 * (one process, the default) and Redis (any number of nodes). Keys and values follow
 * Actionhero's layout so both can share one Redis.
 */
import type { EventEmitter } from "node:events";

/** What is stored per member of a room (Actionhero stores `{id, joinedAt, host}` as JSON). */
export interface MemberRecord {
  id: string;
  joinedAt: number;
  /** id of the node holding the connection; used to sweep members of dead nodes */
  host: string;
  [extra: string]: unknown;
}

/** A member removed because its node stopped heart-beating. */
export interface SweptMember {
  room: string;
  member: MemberRecord;
}

export interface RoomStore extends EventEmitter {
  /** What backs it, for stats only: callers ask `shared`, never branch on the kind. */
  readonly kind: "memory" | "redis";
  /**
   * true when other nodes see the same rooms (Redis): connections may then live on other
   * nodes, and members of dead nodes must be swept. false for the one-process store.
   */
  readonly shared: boolean;
  /** Connects; rejects within the configured start timeout with a clear error. */
  start(): Promise<void>;
  /** Stops timers and quits only the clients the store created itself. */
  close(): Promise<void>;
  /** true when the store can currently serve commands */
  readonly ready: boolean;

  /** Creates the room; false when it already existed. */
  addRoom(room: string): Promise<boolean>;
  /** Deletes the room and its members; false when it did not exist. */
  removeRoom(room: string): Promise<boolean>;
  roomExists(room: string): Promise<boolean>;
  listRooms(): Promise<string[]>;

  /** Stores (or overwrites) a member record. */
  setMember(room: string, member: MemberRecord): Promise<void>;
  /** Removes a member; false when it was not stored (so only one caller wins a race). */
  removeMember(room: string, connectionId: string): Promise<boolean>;
  /** One member's record, or undefined when it is not stored. */
  member(room: string, connectionId: string): Promise<MemberRecord | undefined>;
  /** All members of a room keyed by connection id (empty when none). */
  members(room: string): Promise<Record<string, MemberRecord>>;

  /**
   * Liveness: marks this node alive (the Redis store refreshes a key with a TTL) and
   * removes members whose node is no longer alive, returning what it removed. The memory
   * store has one node and never sweeps.
   */
  sweepDeadMembers(): Promise<SweptMember[]>;
}
