/**
 * Chat rooms (protocol §8, acceptance items 17-26 over websocket and 34-54 through the
 * server-side API), run once on the embedded memory store and once on Redis.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { historyFields, idOf, rejection, sleep, userFrames, waitFor } from "../support/chat-helpers.js";
import type { ChatMiddleware, ChatPayload, Connection } from "../../lib/index.js";

/** How long we keep listening to prove a frame does NOT arrive (or arrives only once). */
const QUIET_MS = 300;


for (const kind of ["memory", "redis"] as const) {
  describe(`chat rooms (${kind} store)`, function () {
    let redis: RedisServer | undefined;
    let ts: TestServer;
    let a: RawClient;
    let b: RawClient;
    let c: RawClient;
    let ids: { a: string; b: string; c: string };
    const extraClients: RawClient[] = [];
    const middlewareNames: string[] = [];
    const createdRooms: string[] = [];

    const open = async (): Promise<RawClient> => {
      const client = await RawClient.open(ts.ws, ts.url);
      extraClients.push(client);
      return client;
    };
    const conn = (id: string): Connection => {
      const found = ts.ws.connections.get(id);
      if (!found) throw new Error(`no server connection ${id}`);
      return found;
    };
    const use = (middleware: ChatMiddleware): void => {
      middlewareNames.push(middleware.name);
      ts.ws.chatRoom.addMiddleware(middleware);
    };
    const room = async (prefix: string): Promise<string> => {
      const name = `${prefix}-${randomUUID().slice(0, 8)}`;
      await ts.ws.chatRoom.add(name);
      createdRooms.push(name);
      return name;
    };

    before(async function () {
      if (kind === "redis") {
        redis = await startRedisServer();
        ts = await startTestServer({ redis: redis.url, redisPrefix: `ahws-chat-${randomUUID()}:` });
      } else {
        ts = await startTestServer();
      }
      expect(ts.ws.stats().store.kind).to.equal(kind);
    });

    after(async () => {
      // REDIS_URL may be a shared server: leave no rooms behind.
      if (kind === "redis" && ts) for (const name of await ts.ws.chatRoom.list()) await ts.ws.chatRoom.destroy(name).catch(() => undefined);
      await ts?.close();
      await redis?.stop();
    });

    beforeEach(async () => {
      a = await open();
      b = await open();
      c = await open();
      ids = { a: await idOf(a), b: await idOf(b), c: await idOf(c) };
      for (const client of [a, b, c]) {
        expect((await client.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
      }
    });

    afterEach(async () => {
      for (const name of middlewareNames.splice(0)) ts.ws.chatRoom.middleware.remove(name);
      delete (ts.ws.chatRoom as unknown as Record<string, unknown>).generateMessagePayload;
      for (const client of extraClients.splice(0)) client.close();
      await waitFor(() => ts.ws.connections.size === 0, 5000, "every test connection to be gone");
      for (const name of createdRooms.splice(0)) await ts.ws.chatRoom.destroy(name).catch(() => undefined);
      expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount, "no members left behind").to.equal(0);
    });

    describe("over websocket (items 17-26)", () => {
      it("17: a join middleware that broadcasts reaches the members already in the room", async () => {
        await c.request({ event: "roomLeave", room: "defaultRoom" });
        use({ name: "join-announce", join: async (connection, r) => ts.ws.chatRoom.broadcast(null, r, `I have entered the room: ${connection.id}`) });
        const [ma, mb] = [a.frames.length, b.frames.length];
        expect((await c.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
        const text = `I have entered the room: ${ids.c}`;
        const got = await a.next((f) => f.context === "user" && f.message === text, 5000, ma);
        expect(got).to.deep.equal({ message: text, room: "defaultRoom", from: "0", context: "user", sentAt: got.sentAt, ...historyFields(got) });
        const atB = await b.next((f) => f.context === "user" && f.message === text, 5000, mb);
        expect(historyFields(atB)).to.deep.equal(historyFields(got));
        await sleep(QUIET_MS);
        expect(userFrames(a, ma, text)).to.have.length(1);
        expect(userFrames(b, mb, text)).to.have.length(1);
      });

      it("18: a leave middleware that broadcasts reaches the members who stay", async () => {
        use({ name: "leave-announce", leave: async (connection, r) => ts.ws.chatRoom.broadcast({}, r, `I have left the room: ${connection.id}`) });
        const [ma, mb, mc] = [a.frames.length, b.frames.length, c.frames.length];
        expect((await c.request({ event: "roomLeave", room: "defaultRoom" })).data).to.equal(true);
        const text = `I have left the room: ${ids.c}`;
        await a.next((f) => f.context === "user" && f.message === text, 5000, ma);
        await b.next((f) => f.context === "user" && f.message === text, 5000, mb);
        await sleep(QUIET_MS);
        expect(userFrames(a, ma, text)).to.have.length(1);
        expect(userFrames(b, mb, text)).to.have.length(1);
        expect(userFrames(c, mc), "the leaver is out before the announcement").to.have.length(0);
      });

      it("19: messages to a room are never delivered to clients outside it", async () => {
        const outsider = await open();
        await outsider.request({ event: "roomAdd", room: "otherRoom" });
        const mo = outsider.frames.length;
        const mb = b.frames.length;
        await a.request({ event: "say", room: "defaultRoom", message: "only for defaultRoom" });
        await ts.ws.chatRoom.broadcast({}, "defaultRoom", "server says hi to defaultRoom");
        await b.next((f) => f.message === "server says hi to defaultRoom", 5000, mb);
        await ts.ws.chatRoom.broadcast({}, "otherRoom", "for otherRoom");
        await outsider.next((f) => f.message === "for otherRoom", 5000, mo);
        await sleep(QUIET_MS);
        expect(userFrames(outsider, mo).map((f) => f.message)).to.deep.equal(["for otherRoom"]);
        expect(userFrames(b, mb).map((f) => f.message)).to.deep.equal(["only for defaultRoom", "server says hi to defaultRoom"]);
      });

      it("20: roomView's membersCount goes 3 -> 2 when a member leaves", async () => {
        const before = await a.request({ event: "roomView", room: "defaultRoom" });
        expect(before.data).to.deep.include({ room: "defaultRoom", membersCount: 3 });
        await c.request({ event: "roomLeave", room: "defaultRoom" });
        const after = await a.request({ event: "roomView", room: "defaultRoom" });
        expect(after.data).to.deep.include({ room: "defaultRoom", membersCount: 2 });
        expect(Object.keys((after.data as { members: object }).members).sort()).to.deep.equal([ids.a, ids.b].sort());
      });

      it("21: a say middleware personalises each recipient's copy", async () => {
        use({ name: "to", say: (connection, _r, payload) => ({ ...payload, message: `${String(payload.message)} - To: ${connection.id}` }) });
        const marks = [a.frames.length, b.frames.length, c.frames.length];
        await b.request({ event: "say", room: "defaultRoom", message: "Test Message" });
        for (const [i, [client, id]] of ([[a, ids.a], [b, ids.b], [c, ids.c]] as const).entries()) {
          const got = await client.next((f) => f.context === "user", 5000, marks[i]);
          expect(got.message).to.equal(`Test Message - To: ${id}`);
          expect(got.from).to.equal(ids.b);
        }
      });

      it("22: a say middleware slow on its first call still yields exactly one message per recipient", async () => {
        let calls = 0;
        use({
          name: "slow-first",
          say: async (_connection, _r, payload) => {
            if (calls++ === 0) await sleep(200);
            return payload;
          },
        });
        const marks = [a.frames.length, b.frames.length, c.frames.length];
        await a.request({ event: "say", room: "defaultRoom", message: "slow" });
        await Promise.all([a, b, c].map((client, i) => client.next((f) => f.message === "slow", 5000, marks[i])));
        await sleep(QUIET_MS);
        [a, b, c].forEach((client, i) => expect(userFrames(client, marks[i], "slow")).to.have.length(1));
        expect(calls).to.equal(3);
      });

      it("23: onSayReceive runs once with the sender: every recipient sees the sender's id", async () => {
        let calls = 0;
        use({
          name: "receive",
          onSayReceive: (connection, _r, payload) => {
            calls++;
            return { ...payload, message: `${String(payload.message)} - To: ${String(connection.id)}` };
          },
        });
        const marks = [a.frames.length, b.frames.length, c.frames.length];
        await b.request({ event: "say", room: "defaultRoom", message: "Test Message" });
        for (const [i, client] of [a, b, c].entries()) {
          expect((await client.next((f) => f.context === "user", 5000, marks[i])).message).to.equal(`Test Message - To: ${ids.b}`);
        }
        expect(calls).to.equal(1);
      });

      it("24: a throwing join middleware rejects roomAdd with 'Error: joining rooms blocked'", async () => {
        use({ name: "no-join", join: () => { throw new Error("joining rooms blocked"); } });
        const d = await open();
        const reply = await d.request({ event: "roomAdd", room: "defaultRoom" });
        expect(reply).to.deep.include({ status: "Error: joining rooms blocked", error: "Error: joining rooms blocked", context: "response" });
        expect(((await d.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal([]);
        expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount).to.equal(3);
      });

      it("25: a say middleware returning null silences only that recipient", async () => {
        use({ name: "not-c", say: (connection, _r, payload) => (connection.id === ids.c ? null : payload) });
        const marks = [a.frames.length, b.frames.length, c.frames.length];
        await a.request({ event: "say", room: "defaultRoom", message: "not for c" });
        await a.next((f) => f.message === "not for c", 5000, marks[0]);
        await b.next((f) => f.message === "not for c", 5000, marks[1]);
        await sleep(QUIET_MS);
        expect(userFrames(a, marks[0])).to.have.length(1);
        expect(userFrames(b, marks[1])).to.have.length(1);
        expect(userFrames(c, marks[2])).to.have.length(0);
      });

      it("26: onSayReceive returning nothing silences the message for everyone (the say is still OK)", async () => {
        use({ name: "swallow", onSayReceive: () => undefined });
        const marks = [a.frames.length, b.frames.length, c.frames.length];
        const reply = await a.request({ event: "say", room: "defaultRoom", message: "nobody hears" });
        expect(reply.status).to.equal("OK");
        await sleep(QUIET_MS);
        [a, b, c].forEach((client, i) => expect(userFrames(client, marks[i])).to.have.length(0));
      });
    });

    describe("server-side API (items 34-54)", () => {
      it("34: roomView through ws.verbs shows the three members to each of them", async () => {
        for (const id of [ids.a, ids.b, ids.c]) {
          const status = await ts.ws.verbs(conn(id), "roomView", ["defaultRoom"]);
          expect(status).to.deep.include({ room: "defaultRoom", membersCount: 3 });
        }
      });

      it("35: ws.verbs(connection, 'say', words) joins the words and sends from that connection", async () => {
        const [mb, mc] = [b.frames.length, c.frames.length];
        expect(await ts.ws.verbs(conn(ids.a), "say", ["defaultRoom", "Hi", "from", "client", "1"])).to.equal(undefined);
        const seen: Array<{ offset: number; epoch: string }> = [];
        for (const [client, mark] of [[b, mb], [c, mc]] as const) {
          const got = await client.next((f) => f.context === "user", 5000, mark);
          expect(got).to.deep.equal({ message: "Hi from client 1", room: "defaultRoom", from: ids.a, context: "user", sentAt: got.sentAt, ...historyFields(got) });
          expect(got.sentAt).to.be.a("number");
          seen.push(historyFields(got));
        }
        expect(seen[1], "one message: the same offset and epoch for every member").to.deep.equal(seen[0]);
      });

      it("36-38: exists, add (and 'room exists'), list", async () => {
        expect(await ts.ws.chatRoom.exists("defaultRoom")).to.equal(true);
        expect(await ts.ws.chatRoom.exists("no-such-room")).to.equal(false);
        const name = await room("newRoom");
        expect(await ts.ws.chatRoom.exists(name)).to.equal(true);
        expect(String(await rejection(ts.ws.chatRoom.add(name)))).to.equal("Error: room exists");
        expect((await ts.ws.chatRoom.list()).sort()).to.deep.equal(["defaultRoom", name, "otherRoom"].sort());
      });

      it("39-43: addMember / removeMember return true, update connection.rooms, and refuse with Actionhero's errors", async () => {
        const d = await open();
        const dId = await idOf(d);
        expect(await ts.ws.chatRoom.addMember(dId, "defaultRoom")).to.equal(true);
        expect(conn(dId).rooms).to.deep.equal(["defaultRoom"]);
        expect(((await d.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal(["defaultRoom"]);
        expect(String(await rejection(ts.ws.chatRoom.addMember(dId, "defaultRoom")))).to.equal("Error: connection already in this room (defaultRoom)");
        expect(String(await rejection(ts.ws.chatRoom.addMember(dId, "no-such-room")))).to.equal("Error: room does not exist");
        expect(String(await rejection(ts.ws.chatRoom.removeMember(dId, "otherRoom")))).to.equal("Error: connection not in this room (otherRoom)");
        expect(await ts.ws.chatRoom.removeMember(dId, "defaultRoom")).to.equal(true);
        expect(conn(dId).rooms).to.deep.equal([]);
        expect(String(await rejection(ts.ws.chatRoom.removeMember(dId, "defaultRoom")))).to.equal("Error: connection not in this room (defaultRoom)");
        expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount).to.equal(3);
      });

      it("44: destroy announces 'this room has been deleted' from \"0\" and empties the members' rooms", async () => {
        const doomed = await room("doomed");
        await a.request({ event: "roomAdd", room: doomed });
        await b.request({ event: "roomAdd", room: doomed });
        const [ma, mb, mc] = [a.frames.length, b.frames.length, c.frames.length];
        await ts.ws.chatRoom.destroy(doomed);
        for (const [client, mark] of [[a, ma], [b, mb]] as const) {
          const got = await client.next((f) => f.context === "user" && f.room === doomed, 5000, mark);
          // the room's first message: offset 1
          expect(got).to.deep.equal({ message: "this room has been deleted", room: doomed, from: "0", context: "user", sentAt: got.sentAt, offset: 1, epoch: historyFields(got).epoch });
        }
        expect(conn(ids.a).rooms).to.deep.equal(["defaultRoom"]);
        expect(conn(ids.b).rooms).to.deep.equal(["defaultRoom"]);
        expect(await ts.ws.chatRoom.exists(doomed)).to.equal(false);
        expect(String(await rejection(ts.ws.chatRoom.roomStatus(doomed)))).to.equal("Error: room does not exist");
        expect(String(await rejection(ts.ws.chatRoom.destroy(doomed)))).to.equal("Error: room does not exist");
        await sleep(QUIET_MS);
        expect(userFrames(a, ma)).to.have.length(1);
        expect(userFrames(c, mc), "not a member").to.have.length(0);
        // members can no longer talk there
        expect((await a.request({ event: "say", room: doomed, message: "hello?" })).error).to.equal(`Error: connection not in this room (${doomed})`);
      });

      it("45-46: roomStatus has exactly {room, members: {id: {id, joinedAt}}, membersCount}; later joiners have larger joinedAt", async () => {
        const r = await room("status");
        expect(await ts.ws.chatRoom.addMember(ids.a, r)).to.equal(true);
        const one = await ts.ws.chatRoom.roomStatus(r);
        expect(one.room).to.equal(r);
        expect(one.membersCount).to.equal(1);
        await sleep(5);
        expect(await ts.ws.chatRoom.addMember(ids.b, r)).to.equal(true);
        const two = await ts.ws.chatRoom.roomStatus(r);
        expect(Object.keys(two)).to.deep.equal(["room", "members", "membersCount"]);
        expect(two.membersCount).to.equal(2);
        expect(Object.keys(two.members).sort()).to.deep.equal([ids.a, ids.b].sort());
        for (const id of [ids.a, ids.b]) {
          expect(two.members[id]).to.deep.equal({ id, joinedAt: two.members[id].joinedAt });
          expect(two.members[id].joinedAt).to.be.a("number");
        }
        expect(two.members[ids.b].joinedAt as number).to.be.greaterThan(two.members[ids.a].joinedAt as number);
        expect(String(await rejection(ts.ws.chatRoom.roomStatus("")))).to.equal("Error: a room is required");
        expect(String(await rejection(ts.ws.chatRoom.roomStatus("no-such-room")))).to.equal("Error: room does not exist");
      });

      it("47: an overridden generateMessagePayload shapes what recipients get", async () => {
        (ts.ws.chatRoom as { generateMessagePayload: (m: Parameters<typeof ts.ws.chatRoom.generateMessagePayload>[0]) => ChatPayload })
          .generateMessagePayload = (message) => ({ thing: "stuff", room: message.connection.room, from: message.connection.id, context: "user", sentAt: message.sentAt }) as unknown as ChatPayload;
        const mb = b.frames.length;
        await ts.ws.verbs(conn(ids.a), "say", ["defaultRoom", "Hi", "from", "client", "1"]);
        const got = await b.next((f) => f.context === "user", 5000, mb);
        expect(got.thing).to.equal("stuff");
        expect(got).to.not.have.property("message");
        expect(got.from).to.equal(ids.a);
      });

      it("48: join and leave announcements arrive in order", async () => {
        use({
          name: "announce",
          join: async (connection, r) => ts.ws.chatRoom.broadcast({}, r, `I have entered the room: ${connection.id}`),
          leave: async (connection, r) => ts.ws.chatRoom.broadcast({}, r, `I have left the room: ${connection.id}`),
        });
        const d = await open();
        const dId = await idOf(d);
        const ma = a.frames.length;
        await ts.ws.chatRoom.addMember(dId, "defaultRoom");
        await ts.ws.chatRoom.removeMember(dId, "defaultRoom");
        await a.next((f) => f.message === `I have left the room: ${dId}`, 5000, ma);
        expect(userFrames(a, ma).map((f) => f.message)).to.deep.equal([`I have entered the room: ${dId}`, `I have left the room: ${dId}`]);
      });

      for (const flavour of ["sync", "async"] as const) {
        // Wraps a middleware body so it runs as a plain or an async function (item 54).
        const wrap = <A extends unknown[], R>(fn: (...args: A) => R) =>
          flavour === "sync" ? fn : async (...args: A) => { await sleep(1); return fn(...args); };

        describe(`${flavour} middleware (items 49-53${flavour === "async" ? ", 54" : ""})`, () => {
          it("49: a say middleware can rewrite the message", async () => {
            use({ name: "rewrite", say: wrap((_c: Connection, _r: string, payload: ChatPayload) => ({ ...payload, message: "MIDDLEWARE" })) });
            const mb = b.frames.length;
            await ts.ws.verbs(conn(ids.a), "say", ["defaultRoom", "original"]);
            expect((await b.next((f) => f.context === "user", 5000, mb)).message).to.equal("MIDDLEWARE");
          });

          it("50: middleware run by priority, lower first, each getting the previous one's result", async () => {
            use({ name: "second", priority: 2000, say: wrap((_c: Connection, _r: string, p: ChatPayload) => ({ ...p, message: `${String(p.message)} MIDDLEWARE 2` })) });
            use({ name: "first", priority: 1000, say: wrap((_c: Connection, _r: string, p: ChatPayload) => ({ ...p, message: "MIDDLEWARE 1" })) });
            const mb = b.frames.length;
            await ts.ws.verbs(conn(ids.a), "say", ["defaultRoom", "original"]);
            expect((await b.next((f) => f.context === "user", 5000, mb)).message).to.equal("MIDDLEWARE 1 MIDDLEWARE 2");
          });

          it("51: a throwing say middleware blocks delivery", async () => {
            use({ name: "no-say", say: wrap(() => { throw new Error("messages blocked"); }) });
            const before = b.frames.length;
            await ts.ws.verbs(conn(ids.a), "say", ["defaultRoom", "blocked"]);
            await sleep(QUIET_MS);
            expect(userFrames(b, 0)).to.have.length(0);
            expect(b.frames.length).to.equal(before);
            expect(b.frames[0]).to.deep.equal({ welcome: "Welcome to the actionhero api", context: "api" });
          });

          it("52: a throwing join middleware refuses with its message; rooms stay empty", async () => {
            use({ name: "no-join", join: wrap(() => { throw new Error("joining rooms blocked"); }) });
            const d = await open();
            const dId = await idOf(d);
            expect(String(await rejection(ts.ws.chatRoom.addMember(dId, "defaultRoom")))).to.equal("Error: joining rooms blocked");
            expect(conn(dId).rooms).to.deep.equal([]);
            expect(Object.keys((await ts.ws.chatRoom.roomStatus("defaultRoom")).members)).to.not.include(dId);
          });

          it("53: a throwing leave middleware keeps the member in the room", async () => {
            use({ name: "hotel", leave: wrap(() => { throw new Error("Hotel California"); }) });
            expect(String(await rejection(ts.ws.chatRoom.removeMember(ids.a, "defaultRoom")))).to.equal("Error: Hotel California");
            expect(conn(ids.a).rooms).to.deep.equal(["defaultRoom"]);
            expect(Object.keys((await ts.ws.chatRoom.roomStatus("defaultRoom")).members)).to.include(ids.a);
            const reply = await a.request({ event: "roomLeave", room: "defaultRoom" });
            expect(reply).to.deep.include({ status: "Error: Hotel California", error: "Error: Hotel California" });
            // still a member: still receives
            const ma = a.frames.length;
            await ts.ws.chatRoom.broadcast({}, "defaultRoom", "still here?");
            await a.next((f) => f.message === "still here?", 5000, ma);
          });
        });
      }

      it("broadcast from the server keeps objects intact and refuses empty rooms or messages", async () => {
        const mb = b.frames.length;
        await ts.ws.chatRoom.broadcast({}, "defaultRoom", { structured: [1, { deep: true }] });
        expect((await b.next((f) => f.context === "user", 5000, mb)).message).to.deep.equal({ structured: [1, { deep: true }] });
        for (const [r, message] of [["", "x"], ["defaultRoom", ""], ["defaultRoom", 0], ["defaultRoom", null]] as const) {
          expect(String(await rejection(ts.ws.chatRoom.broadcast({}, r, message))), JSON.stringify([r, message])).to.equal("Error: both room and message are required");
        }
        expect(String(await rejection(ts.ws.chatRoom.broadcast(conn(ids.a), "otherRoom", "x")))).to.equal("Error: connection not in this room (otherRoom)");
      });

      it("a closed connection leaves every room (leave middleware runs) and is gone from roomStatus", async () => {
        const left: string[] = [];
        use({ name: "track", leave: (connection, r) => { left.push(`${connection.id}@${r}`); } });
        await c.request({ event: "roomAdd", room: "otherRoom" });
        c.close();
        await waitFor(async () => (await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount === 2, 5000, "c to leave defaultRoom");
        await waitFor(() => left.length === 2, 5000, "leave middleware for both rooms");
        expect(left.sort()).to.deep.equal([`${ids.c}@defaultRoom`, `${ids.c}@otherRoom`].sort());
        expect((await ts.ws.chatRoom.roomStatus("otherRoom")).membersCount).to.equal(0);
      });
    });
  });
}
