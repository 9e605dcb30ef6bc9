/**
 * One contract, two stores: whatever the chat layer may rely on must hold for the memory
 * store and the Redis store alike. The Redis run also checks the exact keys written, with
 * a raw client, because room names are opaque and must never be globbed or mangled.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { MemberRecord, RoomStore } from "../../lib/stores/room-store.js";
import { MemoryRoomStore } from "../../lib/stores/memory-room-store.js";
import { RedisRoomStore, roomStoreKeys } from "../../lib/stores/redis-room-store.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions, storeOptions } from "../support/store-options.js";

type RawClient = ReturnType<typeof createClient>;

interface Harness {
  name: string;
  before?(): Promise<void>;
  after?(): Promise<void>;
  /** a started store on a fresh, empty namespace */
  create(): Promise<RoomStore>;
  /** Redis only: every key in the store's namespace, for exact-layout checks */
  keysOf?(store: RoomStore): Promise<string[]>;
  raw?(): RawClient;
  /** removes what a test left behind (REDIS_URL may point at a shared server) */
  cleanup?(store: RoomStore): Promise<void>;
}

const ODD_ROOM_NAMES: Array<[label: string, room: string]> = [
  ["empty string", ""],
  ["unicode", "chat 💬 комната 部屋 é"],
  ["colons", "a:b:members:c"],
  ["glob star", "*"],
  ["glob question mark", "room?"],
  ["glob brackets", "[abc]"],
  ["glob escape", "\\*"],
  ["huge (1 MB)", "x".repeat(1024 * 1024)],
];

function member(id: string, host = "node-1", extra: Record<string, unknown> = {}): MemberRecord {
  return { id, joinedAt: 1_700_000_000_000, host, ...extra };
}

function roomStoreContract(harness: Harness): void {
  describe(`RoomStore contract: ${harness.name}`, function () {
    let store: RoomStore;
    const opened: RoomStore[] = [];

    before(async function () {
      await harness.before?.();
    });
    after(async function () {
      await harness.after?.();
    });
    beforeEach(async function () {
      store = await harness.create();
      opened.push(store);
    });
    afterEach(async function () {
      await Promise.all(opened.splice(0).map(async (s) => {
        await s.close();
        await harness.cleanup?.(s);
      }));
    });

    it("is ready after start", function () {
      expect(store.ready).to.equal(true);
      expect(store.kind).to.be.oneOf(["memory", "redis"]);
    });

    it("adds a room once, then reports it exists and lists it", async function () {
      expect(await store.roomExists("lobby")).to.equal(false);
      expect(await store.addRoom("lobby")).to.equal(true);
      expect(await store.addRoom("lobby")).to.equal(false);
      expect(await store.roomExists("lobby")).to.equal(true);
      await store.addRoom("other");
      expect((await store.listRooms()).sort()).to.deep.equal(["lobby", "other"]);
    });

    it("removes a room and its members; false when it did not exist", async function () {
      await store.addRoom("lobby");
      await store.setMember("lobby", member("c1"));
      expect(await store.removeRoom("lobby")).to.equal(true);
      expect(await store.removeRoom("lobby")).to.equal(false);
      expect(await store.roomExists("lobby")).to.equal(false);
      expect(await store.listRooms()).to.deep.equal([]);
      await store.addRoom("lobby");
      expect(Object.keys(await store.members("lobby"))).to.deep.equal([]);
    });

    it("stores member records with extra fields intact and overwrites on set", async function () {
      await store.addRoom("lobby");
      await store.setMember("lobby", member("c1", "node-1", { nick: "ann", tags: ["a", 1] }));
      await store.setMember("lobby", member("c2"));
      await store.setMember("lobby", member("c2", "node-2", { joinedAt: 5 }));
      const members = await store.members("lobby");
      expect(Object.keys(members).sort()).to.deep.equal(["c1", "c2"]);
      expect({ ...members.c1 }).to.deep.equal(member("c1", "node-1", { nick: "ann", tags: ["a", 1] }));
      expect({ ...members.c2 }).to.deep.equal(member("c2", "node-2", { joinedAt: 5 }));
      // one record (the cluster command finds a member's node by it)
      expect({ ...(await store.member("lobby", "c2")) }).to.deep.equal(member("c2", "node-2", { joinedAt: 5 }));
      expect(await store.member("lobby", "nobody")).to.equal(undefined);
      expect(await store.member("no-such-room", "c1")).to.equal(undefined);
    });

    it("returns copies: mutating a result does not change the store", async function () {
      await store.setMember("lobby", member("c1"));
      const first = await store.members("lobby");
      first.c1.host = "changed";
      expect((await store.members("lobby")).c1.host).to.equal("node-1");
    });

    it("keeps a connection id like __proto__ as plain data", async function () {
      await store.setMember("lobby", member("__proto__"));
      const members = await store.members("lobby");
      expect(Object.keys(members)).to.deep.equal(["__proto__"]);
      expect(members["__proto__"].id).to.equal("__proto__");
      expect(await store.removeMember("lobby", "__proto__")).to.equal(true);
    });

    it("removes a member once; false when it was not stored", async function () {
      await store.setMember("lobby", member("c1"));
      expect(await store.removeMember("lobby", "c1")).to.equal(true);
      expect(await store.removeMember("lobby", "c1")).to.equal(false);
      expect(await store.removeMember("missing-room", "c1")).to.equal(false);
      expect(Object.keys(await store.members("lobby"))).to.deep.equal([]);
    });

    it("lets exactly one of two concurrent removeMember calls win", async function () {
      for (let round = 0; round < 20; round++) {
        await store.setMember("lobby", member(`c${round}`));
        const results = await Promise.all([
          store.removeMember("lobby", `c${round}`),
          store.removeMember("lobby", `c${round}`),
        ]);
        expect(results.filter(Boolean), `round ${round}`).to.have.length(1);
      }
    });

    it("lets exactly one of two concurrent addRoom calls win", async function () {
      const results = await Promise.all([store.addRoom("race"), store.addRoom("race")]);
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it("never sweeps when every member belongs to a live node", async function () {
      await store.addRoom("lobby");
      await store.setMember("lobby", member("c1", "node-that-is-this-one"));
      expect(await store.sweepDeadMembers()).to.deep.equal([]);
    });

    for (const [label, room] of ODD_ROOM_NAMES) {
      it(`treats a room name as opaque: ${label}`, async function () {
        const neighbour = "neighbour-room";
        await store.addRoom(neighbour);
        await store.setMember(neighbour, member("n1"));

        expect(await store.addRoom(room)).to.equal(true);
        expect(await store.roomExists(room)).to.equal(true);
        expect((await store.listRooms()).filter((r) => r === room)).to.have.length(1);
        await store.setMember(room, member("c1"));
        expect(Object.keys(await store.members(room))).to.deep.equal(["c1"]);

        if (harness.keysOf && store instanceof RedisRoomStore) {
          const keys = roomStoreKeys(prefixOf(store));
          expect((await harness.keysOf(store)).sort()).to.deep.equal(
            [keys.rooms, keys.members(room), keys.members(neighbour), keys.node(store.nodeId)].sort(),
          );
          const raw = harness.raw!();
          expect(await raw.exists(keys.members(room))).to.equal(1);
          expect(await raw.sIsMember(keys.rooms, room)).to.equal(1);
        }

        expect(await store.removeMember(room, "c1")).to.equal(true);
        expect(await store.removeRoom(room)).to.equal(true);
        expect(await store.roomExists(room)).to.equal(false);
        // a glob-like name must not have touched any other room
        expect(await store.roomExists(neighbour)).to.equal(true);
        expect(Object.keys(await store.members(neighbour))).to.deep.equal(["n1"]);
      });
    }
  });
}

/** The prefix a test store was made with, recovered from its keys. */
function prefixOf(store: RedisRoomStore): string {
  return store.keys.rooms.slice(0, -"chatRoom:rooms".length);
}

roomStoreContract({
  name: "MemoryRoomStore",
  async create() {
    const store = new MemoryRoomStore();
    await store.start();
    return store;
  },
});

let server: RedisServer;
let raw: RawClient;
roomStoreContract({
  name: "RedisRoomStore",
  async before() {
    server = await startRedisServer();
    raw = createClient({ url: server.url });
    raw.on("error", () => undefined);
    await raw.connect();
  },
  async after() {
    await raw?.close();
    await server?.stop();
  },
  async create() {
    // a fresh prefix per test: isolation without FLUSHDB (REDIS_URL may be shared)
    const store = new RedisRoomStore(storeOptions(server.url, { prefix: `test:${randomUUID()}:`,
      nodeId: "node-that-is-this-one" }));
    await store.start();
    return store;
  },
  async keysOf(store) {
    // Our own prefix (a UUID, no glob characters) is the only pattern ever used.
    const prefix = prefixOf(store as RedisRoomStore);
    const found: string[] = [];
    for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) found.push(...batch);
    return found;
  },
  raw: () => raw,
  async cleanup(store) {
    const keys = await this.keysOf!(store);
    if (keys.length > 0) await raw.del(keys);
  },
});

describe("RedisRoomStore options", function () {
  it("defaults to Actionhero's key layout", function () {
    const store = new RedisRoomStore(storeOptions("redis://127.0.0.1:1", { nodeId: "n" }));
    expect(store.keys.rooms).to.equal("actionhero:chatRoom:rooms");
    expect(store.keys.members("defaultRoom")).to.equal("actionhero:chatRoom:members:defaultRoom");
    expect(store.keys.node("n")).to.equal("actionhero:chatRoom:node:n");
  });

  it("rejects a node TTL not longer than the heartbeat", function () {
    expect(() => new RedisRoomStore(storeOptions("redis://127.0.0.1:1", { heartbeatMs: 1000, nodeTtlMs: 1000 })))
      .to.throw(TypeError, /nodeTtlMs/);
  });
});
