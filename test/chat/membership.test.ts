/**
 * Membership has one owner (lib/chat/membership.ts): whatever adds or removes a member,
 * its four views agree — the connection's room list, this node's index (stats().localRooms),
 * the store's members, and the transport's socket.io room — on both stores.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import type { Server as SocketIoServer } from "socket.io";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { idOf, waitFor } from "../support/chat-helpers.js";
import { roomKey } from "../../lib/transport/room-broadcast.js";
import { sparkFor } from "../support/spark-of.js";

for (const kind of ["memory", "redis"] as const) {
  describe(`chat membership: one owner, four views (${kind} store)`, function () {
    let redis: RedisServer | undefined;
    let ts: TestServer;
    const clients: RawClient[] = [];
    /** connection id -> its socket.io socket id (kept after the connection is gone). */
    const socketIds = new Map<string, string>();

    before(async function () {
      if (kind === "redis") {
        redis = await startRedisServer();
        ts = await startTestServer({ redis: redis.url, redisPrefix: `ahws-membership-${randomUUID()}:` });
      } else ts = await startTestServer();
    });
    after(async () => {
      for (const client of clients) client.close();
      await ts?.close();
      await redis?.stop();
    });

    const open = async () => {
      const client = await RawClient.open(ts.ws, ts.url);
      clients.push(client);
      const id = await idOf(client);
      socketIds.set(id, sparkFor(ts.ws.connections.get(id)!)!.id);
      return { client, id };
    };
    const newRoom = async () => {
      const name = `m-${randomUUID().slice(0, 8)}`;
      await ts.ws.chatRoom.add(name);
      return name;
    };
    /** The four views of one connection's membership of one room. */
    const views = async (id: string, room: string) => {
      const io = ts.ws.primus!.transformer.service as SocketIoServer;
      const mirrored = io.of("/").adapter.rooms.get(roomKey(room));
      const connection = ts.ws.connections.get(id);
      return {
        inList: connection?.rooms.includes(room) ?? false,
        inStore: Object.hasOwn(await ts.ws.chatRoom.roomStatus(room).then((s) => s.members, () => ({})), id),
        inMirror: mirrored?.has(socketIds.get(id)!) ?? false,
      };
    };

    it("a join shows in all views; a leave clears all of them", async function () {
      const { client, id } = await open();
      const room = await newRoom();
      const before = ts.ws.stats().localRooms;
      expect((await client.request({ event: "roomAdd", room })).status).to.equal("OK");
      expect(await views(id, room)).to.deep.equal({ inList: true, inStore: true, inMirror: true });
      expect(ts.ws.stats().localRooms).to.equal(before + 1);
      expect((await client.request({ event: "roomLeave", room })).status).to.equal("OK");
      expect(await views(id, room)).to.deep.equal({ inList: false, inStore: false, inMirror: false });
      expect(ts.ws.stats().localRooms).to.equal(before);
    });

    it("server-side addMember/removeMember go through the same owner", async function () {
      const { id } = await open();
      const room = await newRoom();
      await ts.ws.chatRoom.addMember(id, room);
      expect(await views(id, room)).to.deep.equal({ inList: true, inStore: true, inMirror: true });
      await ts.ws.chatRoom.removeMember(id, room);
      expect(await views(id, room)).to.deep.equal({ inList: false, inStore: false, inMirror: false });
    });

    it("a disconnect leaves every room in every view", async function () {
      const { client, id } = await open();
      const rooms = [await newRoom(), await newRoom()];
      for (const room of rooms) await client.request({ event: "roomAdd", room });
      client.close();
      await waitFor(() => !ts.ws.connections.has(id), 5000, "the connection to be removed");
      for (const room of rooms) expect(await views(id, room)).to.deep.equal({ inList: false, inStore: false, inMirror: false });
    });

    it("destroying a room removes its members from every view", async function () {
      const { client, id } = await open();
      const room = await newRoom();
      await client.request({ event: "roomAdd", room });
      await ts.ws.chatRoom.destroy(room);
      expect(ts.ws.connections.get(id)?.rooms).to.not.include(room);
      const io = ts.ws.primus!.transformer.service as SocketIoServer;
      expect(io.of("/").adapter.rooms.get(roomKey(room))).to.equal(undefined);
    });

    it("connection.rooms is a read-only view: frozen, and replaced on each change", async function () {
      const { client, id } = await open();
      const room = await newRoom();
      const connection = ts.ws.connections.get(id)!;
      const empty = connection.rooms;
      await client.request({ event: "roomAdd", room });
      const joined = connection.rooms;
      expect(Object.isFrozen(joined)).to.equal(true);
      expect(() => (joined as string[]).push("sneaky")).to.throw(TypeError);
      expect(() => ((connection as unknown as { rooms: string[] }).rooms = ["sneaky"])).to.throw(TypeError);
      expect(empty).to.deep.equal([]);
      expect(joined).to.deep.equal([room]);
      expect(connection.details().rooms).to.deep.equal([room]);
    });
  });
}
