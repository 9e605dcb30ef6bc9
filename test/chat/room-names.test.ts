/**
 * Room names are opaque strings: huge, empty or control-character names are refused with a
 * clear error; everything else (`:` `*` `?` `[` unicode ...) is stored verbatim and never
 * interpreted — on Redis the key is exactly `<prefix>chatRoom:members:<name>`.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { actionheroWs } from "../../lib/index.js";
import { RawClient } from "../support/primus-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { idOf, rejection, sleep, waitFor } from "../support/chat-helpers.js";

const OPAQUE_NAMES = [
  "a:b",
  "*",
  "room*",
  "ro?m",
  "[",
  "[abc]",
  "chatRoom:*:members",
  "members:defaultRoom",
  "Ρόδος 🌹 房间",
  "\\",
  "  spaced  ",
  "%s {} \"quoted\" 'single'",
  "__proto__",
];

const REFUSED: Array<[string, unknown, RegExp]> = [
  ["empty", "", /^Error: a room is required$/],
  ["a newline", "a\nb", /^Error: invalid room name: contains control characters$/],
  ["a carriage return", "a\rb", /^Error: invalid room name: contains control characters$/],
  ["a NUL", "a\u0000b", /^Error: invalid room name: contains control characters$/],
  ["a C1 control (U+0085, next line)", "a\u0085b", /^Error: invalid room name: contains control characters$/],
  ["a C1 control (U+009B, CSI)", "a\u009b31mb", /^Error: invalid room name: contains control characters$/],
  ["a C1 control (U+0080)", "\u0080", /^Error: invalid room name: contains control characters$/],
  ["1 MB", "x".repeat(1 << 20), /^Error: invalid room name: longer than 256 bytes$/],
  ["257 bytes", "x".repeat(257), /^Error: invalid room name: longer than 256 bytes$/],
  ["260 bytes of 4-byte characters", "🌹".repeat(65), /^Error: invalid room name: longer than 256 bytes$/],
  ["a number", 42, /^Error: invalid room name: must be a string, got number$/],
];


for (const kind of ["memory", "redis"] as const) {
  describe(`room names (${kind} store)`, function () {
    let redis: RedisServer | undefined;
    let raw: ReturnType<typeof createClient> | undefined;
    let ts: TestServer;
    let prefix = "";
    const clients: RawClient[] = [];
    const open = async (): Promise<RawClient> => {
      const client = await RawClient.open(ts.ws, ts.url);
      clients.push(client);
      return client;
    };

    before(async () => {
      if (kind === "redis") {
        redis = await startRedisServer();
        prefix = `ahws-names-${randomUUID()}:`;
        ts = await startTestServer({ redis: redis.url, redisPrefix: prefix });
        raw = createClient({ url: redis.url });
        raw.on("error", () => undefined);
        await raw.connect();
      } else {
        ts = await startTestServer();
      }
    });

    after(async () => {
      for (const client of clients.splice(0)) client.close();
      await raw?.close();
      // REDIS_URL may be a shared server: leave no rooms behind.
      if (kind === "redis" && ts) for (const name of await ts.ws.chatRoom.list()) await ts.ws.chatRoom.destroy(name).catch(() => undefined);
      await ts?.close();
      await redis?.stop();
    });

    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await waitFor(() => ts.ws.connections.size === 0, 5000, "test connections to close")
        .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify([...ts.ws.connections.values()].map((c) => [c.id, c.destroyed, c.rooms]))}`); });
      for (const name of await ts.ws.chatRoom.list()) {
        if (name !== "defaultRoom" && name !== "otherRoom") await ts.ws.chatRoom.destroy(name);
      }
    });

    for (const [label, name, error] of REFUSED) {
      it(`refuses a room name that is ${label}, on every API and verb, storing nothing`, async () => {
        const started = Date.now();
        const chat = ts.ws.chatRoom;
        const client = await open();
        const id = await idOf(client);
        for (const [what, call] of [
          ["add", () => chat.add(name as string)],
          ["exists", () => chat.exists(name as string)],
          ["destroy", () => chat.destroy(name as string)],
          ["addMember", () => chat.addMember(id, name as string)],
          ] as const) {
          expect(String(await rejection(call())), `${what}(${label})`).to.match(error);
        }
        // Actionhero checks for a falsy room before anything else
        expect(String(await rejection(chat.broadcast({}, name as string, "hi")))).to.match(name === "" ? /^Error: both room and message are required$/ : error);
        if (name !== "") expect(String(await rejection(chat.roomStatus(name as string)))).to.match(error);
        else expect(String(await rejection(chat.roomStatus(name)))).to.equal("Error: a room is required");
        expect(Date.now() - started, "refused without waiting on anything").to.be.below(2000);
        expect((await chat.list()).sort()).to.deep.equal(["defaultRoom", "otherRoom"]);
        if (raw) {
          const keys = await raw.keys(`${prefix}*`);
          expect(keys.every((key) => key.length < 1000), "no key built from the refused name").to.equal(true);
          expect(await raw.sMembers(`${prefix}chatRoom:rooms`)).to.have.members(["defaultRoom", "otherRoom"]);
        }
      });
    }

    it("refuses bad names sent by a websocket client with a clear verb error", async () => {
      const client = await open();
      const cases: Array<[unknown, string]> = [
        ["a\nb", "Error: invalid room name: contains control characters"],
        ["a\u009fb", "Error: invalid room name: contains control characters"],
        ["y".repeat(300), "Error: invalid room name: longer than 256 bytes"],
        ["z".repeat(60_000), "Error: invalid room name: longer than 256 bytes"],
        [7, "Error: invalid room name: must be a string, got number"],
        [["defaultRoom"], "Error: invalid room name: must be a string, got object"],
        [{ $gt: "" }, "Error: invalid room name: must be a string, got object"],
      ];
      for (const [room, expected] of cases) {
        const reply = await client.request({ event: "roomAdd", room });
        expect(reply, JSON.stringify(room).slice(0, 40)).to.deep.include({ status: expected, error: expected, context: "response" });
      }
      // an empty room is dropped from the words (as Actionhero does): still a clear refusal
      const empty = await client.request({ event: "roomAdd", room: "" });
      expect(empty.error).to.equal("Error: a room is required");
      expect((await client.request({ event: "say", room: "", message: "x" })).error).to.equal("Error: both room and message are required");
      expect(((await client.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal([]);
    });

    for (const when of ["at once (still on long-polling)", "after the upgrade to websocket"] as const) {
      it(`a 1 MB frame (room name) sent ${when} closes only that socket; the server and other clients carry on`, async () => {
        const bystander = await open();
        await bystander.request({ event: "roomAdd", room: "defaultRoom" });
        const big = await open();
        const bigId = [...ts.ws.connections.keys()].at(-1)!;
        if (when === "after the upgrade to websocket") {
          expect(await idOf(big)).to.equal(bigId);
          await waitFor(() => ts.ws.connections.get(bigId)?.transport === "websocket", 5000, "the upgrade to websocket");
        }
        big.send({ event: "roomAdd", room: "x".repeat(1 << 20), messageId: "big" });
        await waitFor(() => big.ended, 5000, "the oversized frame's socket to be closed");
        await waitFor(() => !ts.ws.connections.has(bigId), 5000, "the server to forget that connection");
        expect(big.frames.filter((f) => f.messageId === "big")).to.have.length(0);
        expect(await ts.ws.chatRoom.list()).to.have.members(["defaultRoom", "otherRoom"]);
        const mark = bystander.frames.length;
        expect((await bystander.request({ event: "say", room: "defaultRoom", message: "still fine" })).status).to.equal("OK");
        await bystander.next((f) => f.message === "still fine", 5000, mark);
      });
    }

    if (kind === "redis") {
      it("refuses to join a room with a C1 control character that another process put in Redis", async () => {
        const name = "ghost\u0085room";
        await raw!.sAdd(`${prefix}chatRoom:rooms`, name);
        try {
          expect(await ts.ws.chatRoom.list()).to.include(name);
          const client = await open();
          const reply = await client.request({ event: "roomAdd", room: name });
          expect(reply.error).to.equal("Error: invalid room name: contains control characters");
          expect(String(await rejection(ts.ws.chatRoom.roomStatus(name)))).to.equal("Error: invalid room name: contains control characters");
          expect(await raw!.exists(`${prefix}chatRoom:members:${name}`)).to.equal(0);
        } finally {
          await raw!.sRem(`${prefix}chatRoom:rooms`, name);
        }
      });
    }

    it("accepts names up to the byte limit exactly (256 bytes, unicode counted in UTF-8)", async () => {
      for (const name of ["x".repeat(256), "🌹".repeat(64)]) {
        await ts.ws.chatRoom.add(name);
        expect(await ts.ws.chatRoom.exists(name)).to.equal(true);
      }
    });

    it("stores names with : * ? [ unicode and friends as opaque keys; join, say, view and leave work", async () => {
      const client = await open();
      const other = await open();
      const id = await idOf(client);
      for (const name of OPAQUE_NAMES) await ts.ws.chatRoom.add(name);
      expect((await ts.ws.chatRoom.list()).sort()).to.deep.equal([...OPAQUE_NAMES, "defaultRoom", "otherRoom"].sort());
      for (const name of OPAQUE_NAMES) {
        expect(await ts.ws.chatRoom.exists(name), name).to.equal(true);
        expect((await client.request({ event: "roomAdd", room: name })).data, name).to.equal(true);
        const view = await client.request({ event: "roomView", room: name });
        expect(view.data, name).to.deep.equal({ room: name, members: { [id]: { id, joinedAt: (view.data as { members: Record<string, { joinedAt: number }> }).members[id]?.joinedAt } }, membersCount: 1 });
        const mark = client.frames.length;
        expect((await client.request({ event: "say", room: name, message: `in ${name}` })).status).to.equal("OK");
        const got = await client.next((f) => f.context === "user", 5000, mark);
        expect(got).to.deep.include({ message: `in ${name}`, room: name, from: id });
        // a similar-looking name is another room
        expect((await other.request({ event: "say", room: name, message: "x" })).error).to.equal(`Error: connection not in this room (${name})`);
      }
      expect(((await client.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal(OPAQUE_NAMES);

      if (raw) {
        expect((await raw.sMembers(`${prefix}chatRoom:rooms`)).sort()).to.deep.equal([...OPAQUE_NAMES, "defaultRoom", "otherRoom"].sort());
        for (const name of OPAQUE_NAMES) {
          const key = `${prefix}chatRoom:members:${name}`;
          expect(await raw.exists(key), key).to.equal(1);
          const fields = await raw.hKeys(key);
          expect(fields, key).to.deep.equal([id]);
          const record = JSON.parse((await raw.hGet(key, id)) as string) as Record<string, unknown>;
          expect(record).to.deep.include({ id, host: ts.ws.id });
          expect(record.joinedAt).to.be.a("number");
        }
        const memberKeys = (await raw.keys(`${prefix}chatRoom:members:*`)).map((key) => key.slice(`${prefix}chatRoom:members:`.length));
        expect(memberKeys.sort()).to.deep.equal([...OPAQUE_NAMES].sort());
      }

      for (const name of OPAQUE_NAMES) {
        expect((await client.request({ event: "roomLeave", room: name })).data, name).to.equal(true);
      }
      expect(((await client.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal([]);
    });

    it("destroying the room named '*' (or '[abc]') touches no other room", async () => {
      const client = await open();
      const id = await idOf(client);
      for (const name of ["*", "[abc]", "a", "b", "c", "room*"]) {
        await ts.ws.chatRoom.add(name);
        await ts.ws.chatRoom.addMember(id, name);
      }
      await ts.ws.chatRoom.addMember(id, "defaultRoom");
      const mark = client.frames.length;
      await ts.ws.chatRoom.destroy("*");
      await ts.ws.chatRoom.destroy("[abc]");
      const deleted = await client.next((f) => f.context === "user" && f.room === "[abc]", 5000, mark);
      expect(deleted.message).to.equal("this room has been deleted");
      await sleep(100);
      expect(client.after(mark, (f) => f.context === "user").map((f) => f.room).sort()).to.deep.equal(["*", "[abc]"]);
      expect((await ts.ws.chatRoom.list()).sort()).to.deep.equal(["a", "b", "c", "defaultRoom", "otherRoom", "room*"]);
      expect(ts.ws.connections.get(id)?.rooms).to.deep.equal(["a", "b", "c", "room*", "defaultRoom"]);
      for (const name of ["a", "b", "c", "room*", "defaultRoom"]) {
        expect(Object.keys((await ts.ws.chatRoom.roomStatus(name)).members), name).to.deep.equal([id]);
      }
      if (raw) {
        expect(await raw.exists(`${prefix}chatRoom:members:*`)).to.equal(0);
        expect(await raw.exists(`${prefix}chatRoom:members:[abc]`)).to.equal(0);
        for (const name of ["a", "b", "c", "room*", "defaultRoom"]) {
          expect(await raw.hKeys(`${prefix}chatRoom:members:${name}`), name).to.deep.equal([id]);
        }
      }
    });
  });
}

describe("room names of startingChatRooms", function () {
  for (const name of ["a\nb", "a\u0085b", "\u009f"]) {
    const label = name.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    it(`refuses the starting room "${label}" when the middleware is created`, () => {
      expect(() => actionheroWs({ startingChatRooms: { [name]: {} } })).to.throw(TypeError, /^actionhero-ws: option "startingChatRooms": invalid room name: contains control characters$/);
    });
  }
});
