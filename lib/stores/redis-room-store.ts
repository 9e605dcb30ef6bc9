/**
 * Rooms and members in Redis, in Actionhero's layout so both can share a
 * Redis: SET `<prefix>chatRoom:rooms`, HASH `<prefix>chatRoom:members:<room>` with
 * connection id -> JSON `{"id","joinedAt","host",...}`. Room names are opaque: they only
 * ever appear as the tail of a key, never in a KEYS/SCAN pattern.
 *
 * Liveness (README, "No ghost members"): each node keeps `<prefix>chatRoom:node:<id>`
 * alive with a TTL; `sweepDeadMembers()` removes members whose node key is gone. Records
 * we write carry `"ahwsNode":true`, meaning "host is a node id that heart-beats". Records
 * without it (written by Actionhero, whose `host` is a server id that never has a node key)
 * are never swept, nor are records whose host is missing or which are not JSON.
 *
 * On Redis Cluster (`redis: { cluster }`) a room's keys are hash-tagged on the room,
 * `<prefix>chatRoom:members:{<room>}`, so a room's data lives in one slot with its channel
 * (bus-channels.ts): not Actionhero's layout. The rooms SET and the heartbeat keys live in
 * other slots, so nothing here sends a command spanning two keys.
 *
 * Events: `ready` (after start and after every reconnect), `down` (Error), `error` (Error).
 */
import { EventEmitter } from "node:events";
import { RESP_TYPES } from "redis";
import type { MemberRecord, RoomStore, SweptMember } from "./room-store.js";
import {
  emitErrorSafely,
  RedisConnection,
  type RedisConnectionOptions,
  type RedisOption,
} from "./redis-connection.js";
import { isClusterOption, RedisClusterConnection } from "./redis-cluster-connection.js";
import { hashTag } from "./hash-tag.js";

export interface RedisRoomStoreOptions extends RedisConnectionOptions {
  /** URL, node-redis options, or a node-redis client you own (never quit by us). */
  redis: RedisOption;
  /** Key prefix (option `redisPrefix`). */
  prefix: string;
  /** This node's id, stored as `host` in members (option `id`). */
  nodeId: string;
  /** How often this node refreshes its heartbeat key (option `heartbeatMs`). */
  heartbeatMs: number;
  /** Heartbeat key TTL: a node silent this long is dead; > heartbeatMs (option `nodeTtlMs`). */
  nodeTtlMs: number;
}

/** The Redis keys the store uses, exposed for tools and tests (like `api.chatRoom.keys`). */
export interface RoomStoreKeys {
  readonly rooms: string;
  members(room: string): string;
  node(nodeId: string): string;
}

/** Marks records whose `host` is a heart-beating node id (see the file comment). */
const NODE_MARKER = "ahwsNode";
/** Commands sent at once during a sweep; node-redis pipelines them. */
const SWEEP_BATCH = 200;

export class RedisRoomStore extends EventEmitter implements RoomStore {
  readonly kind = "redis" as const;
  readonly shared = true;
  readonly nodeId: string;
  readonly keys: RoomStoreKeys;
  readonly #connection: RedisConnection | RedisClusterConnection;
  readonly #cluster: boolean;
  readonly #heartbeatMs: number;
  readonly #nodeTtlMs: number;
  readonly #log: ((message: string) => void) | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  /** Throws (TypeError) on invalid options; connects only in `start()`. */
  constructor(options: RedisRoomStoreOptions) {
    super();
    const prefix = options.prefix;
    if (typeof prefix !== "string") throw new TypeError("actionhero-ws: option `prefix` must be a string");
    this.nodeId = options.nodeId;
    if (typeof this.nodeId !== "string" || this.nodeId === "") {
      throw new TypeError("actionhero-ws: option `nodeId` must be a non-empty string");
    }
    this.#heartbeatMs = options.heartbeatMs;
    this.#nodeTtlMs = options.nodeTtlMs;
    if (!isPositive(this.#heartbeatMs)) throw new TypeError("actionhero-ws: option `heartbeatMs` must be a positive number");
    if (!isPositive(this.#nodeTtlMs) || this.#nodeTtlMs <= this.#heartbeatMs) {
      // otherwise a healthy node would look dead between two heartbeats
      throw new TypeError("actionhero-ws: option `nodeTtlMs` must be greater than `heartbeatMs`");
    }
    this.#log = options.log;
    this.#cluster = isClusterOption(options.redis);
    if (this.#cluster && /[{}]/.test(prefix)) {
      throw new TypeError("actionhero-ws: option `redisPrefix` may not contain `{` or `}` on Redis Cluster (room keys are hash-tagged)");
    }
    this.keys = roomStoreKeys(prefix, this.#cluster);
    this.#connection = isClusterOption(options.redis)
      ? new RedisClusterConnection(options.redis, options)
      : RedisConnection.from(options.redis, options);
    this.#connection.on("error", (error: Error) => emitErrorSafely(this, error, this.#log));
    this.#connection.on("down", (cause: Error) => this.emit("down", cause));
    this.#connection.on("ready", (reconnected: boolean) => {
      if (!reconnected) return;
      // Redis may have restarted empty: say we are alive at once, not at the next beat.
      void this.#beat();
      this.emit("ready");
    });
  }

  get ready(): boolean {
    return this.#started && !this.#closed && this.#connection.ready;
  }

  /** Connects and writes the first heartbeat; rejects within `startTimeoutMs`. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: room store is closed");
    await this.#connection.start();
    try {
      await this.#writeHeartbeat();
    } catch (error) {
      await this.#connection.close();
      throw error;
    }
    this.#started = true;
    this.#heartbeatTimer = setInterval(() => void this.#beat(), this.#heartbeatMs);
    this.emit("ready");
  }

  /** Stops the heartbeat, deletes this node's key, quits only clients we created. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    if (this.#connection.ready) {
      // best effort: when it fails the key still expires after nodeTtlMs
      await this.#connection.run((c) => c.del(this.keys.node(this.nodeId))).catch(() => undefined);
    }
    await this.#connection.close();
  }

  async addRoom(room: string): Promise<boolean> {
    return (await this.#connection.run((c) => c.sAdd(this.keys.rooms, room))) === 1;
  }

  /** Deletes the room and its members in one MULTI (on a cluster: two commands, other slots). */
  async removeRoom(room: string): Promise<boolean> {
    if (this.#cluster) {
      const removed = await this.#connection.run((c) => c.sRem(this.keys.rooms, room));
      await this.#connection.run((c) => c.del(this.keys.members(room)));
      return removed === 1;
    }
    const [removed] = await this.#connection.run((c) =>
      c.multi().sRem(this.keys.rooms, room).del(this.keys.members(room)).execTyped(),
    );
    return removed === 1;
  }

  async roomExists(room: string): Promise<boolean> {
    return (await this.#connection.run((c) => c.sIsMember(this.keys.rooms, room))) === 1;
  }

  async listRooms(): Promise<string[]> {
    return this.#connection.run((c) => c.sMembers(this.keys.rooms));
  }

  /** Throws (TypeError) when the record cannot be stored as JSON. */
  async setMember(room: string, member: MemberRecord): Promise<void> {
    const stored = typeof member.host === "string" && member.host !== ""
      ? { ...member, [NODE_MARKER]: true }
      : member;
    const json = JSON.stringify(stored);
    await this.#connection.run((c) => c.hSet(this.keys.members(room), member.id, json));
  }

  async removeMember(room: string, connectionId: string): Promise<boolean> {
    return (await this.#connection.run((c) => c.hDel(this.keys.members(room), connectionId))) === 1;
  }

  /** undefined also when the stored value is not a JSON object */
  async member(room: string, connectionId: string): Promise<MemberRecord | undefined> {
    const json = await this.#connection.run((c) => c.hGet(this.keys.members(room), connectionId));
    return typeof json === "string" ? parseMember(connectionId, json)?.record : undefined;
  }

  /** Null-prototype map; values that are not JSON objects are left out. */
  async members(room: string): Promise<Record<string, MemberRecord>> {
    const hash = await this.#hash(room);
    const result: Record<string, MemberRecord> = Object.create(null);
    for (const [id, json] of hash) {
      const member = parseMember(id, json);
      if (member !== undefined) result[id] = member.record;
    }
    return result;
  }

  /**
   * Refreshes this node's heartbeat, then removes members of nodes without a live key.
   * HDEL decides who reports a member, so concurrent sweeps report each ghost once.
   * Rejects with RedisUnavailableError while Redis is down.
   */
  async sweepDeadMembers(): Promise<SweptMember[]> {
    await this.#writeHeartbeat();
    const candidates = await this.#membersOfOtherNodes();
    const hosts = [...new Set(candidates.map((candidate) => candidate.member.host))];
    const alive = new Set<string>();
    await inBatches(hosts, async (host) => {
      if ((await this.#connection.run((c) => c.exists(this.keys.node(host)))) === 1) alive.add(host);
    });
    const swept: SweptMember[] = [];
    await inBatches(candidates.filter((candidate) => !alive.has(candidate.member.host)), async (ghost) => {
      const removed = await this.#connection.run((c) => c.hDel(this.keys.members(ghost.room), ghost.id));
      if (removed === 1) swept.push({ room: ghost.room, member: ghost.member });
    });
    return swept;
  }

  /** Sweepable members (marked, with a host) held by nodes other than this one. */
  async #membersOfOtherNodes(): Promise<Array<{ room: string; id: string; member: MemberRecord }>> {
    const rooms = await this.#connection.run((c) => c.sMembers(this.keys.rooms));
    const found: Array<{ room: string; id: string; member: MemberRecord }> = [];
    await inBatches(rooms, async (room) => {
      for (const [id, json] of await this.#hash(room)) {
        const parsed = parseMember(id, json);
        if (parsed?.marked && parsed.record.host !== "" && parsed.record.host !== this.nodeId) {
          found.push({ room, id, member: parsed.record });
        }
      }
    });
    return found;
  }

  /**
   * HGETALL as a Map: node-redis' default object reply assigns fields to a plain object,
   * which silently drops a connection id such as `__proto__`.
   */
  #hash(room: string): Promise<Map<string, string>> {
    return this.#connection.run((c) =>
      c.withTypeMapping({ [RESP_TYPES.MAP]: Map }).hGetAll(this.keys.members(room)),
    ) as Promise<Map<string, string>>;
  }

  #writeHeartbeat(): Promise<unknown> {
    return this.#connection.run((c) =>
      c.set(this.keys.node(this.nodeId), String(Date.now()), { expiration: { type: "PX", value: this.#nodeTtlMs } }),
    );
  }

  /** Timer tick: a failed beat while Redis is down was already reported as `down`. */
  async #beat(): Promise<void> {
    if (this.#closed || !this.#connection.ready) return;
    try {
      await this.#writeHeartbeat();
    } catch (error) {
      if (this.#connection.ready) emitErrorSafely(this, error as Error, this.#log);
    }
  }
}

/**
 * The key names for a prefix; a room name is appended verbatim, whatever it contains, and
 * on a cluster as a hash tag (hash-tag.ts: the slot of every key of one room).
 */
export function roomStoreKeys(prefix: string, cluster = false): RoomStoreKeys {
  return {
    rooms: `${prefix}chatRoom:rooms`,
    members: cluster ? (room) => `${prefix}chatRoom:members:${hashTag(room)}` : (room) => `${prefix}chatRoom:members:${room}`,
    node: (nodeId) => `${prefix}chatRoom:node:${nodeId}`,
  };
}

/** A stored value as a MemberRecord (marker removed), or undefined when not a JSON object. */
function parseMember(id: string, json: string): { record: MemberRecord; marked: boolean } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { [NODE_MARKER]: marker, ...fields } = value as Record<string, unknown>;
  const record: MemberRecord = {
    ...fields,
    id: typeof fields.id === "string" ? fields.id : id,
    joinedAt: typeof fields.joinedAt === "number" ? fields.joinedAt : 0,
    host: typeof fields.host === "string" ? fields.host : "",
  };
  return { record, marked: marker === true };
}

/** Runs `task` over `items`, at most SWEEP_BATCH at a time (bounded memory and sockets). */
async function inBatches<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += SWEEP_BATCH) {
    await Promise.all(items.slice(start, start + SWEEP_BATCH).map(task));
  }
}

function isPositive(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}
