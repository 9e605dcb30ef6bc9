/**
 * The history verbs over a real socket: `roomHistory` (members only, newest first then
 * oldest-first order, paging with `before`), `ws.chatRoom.history`, and every hostile
 * `since` of `roomAdd` answered with a clear error while the server keeps serving others.
 */
import { expect } from "chai";
import type { ChatMessage, VerbResponse } from "../../lib/client/ActionheroWebsocketClient.js";
import { startClientServer, waitFor, type Client, type ClientTestServer } from "../support/node-client.js";

describe("room history verbs", function () {
  this.timeout(30_000);
  let ts: ClientTestServer;
  let member: Client;
  let epoch: string;

  before(async function () {
    ts = await startClientServer({ history: { size: 10 } });
    member = await ts.connect();
    await member.roomAdd("defaultRoom");
    const said: ChatMessage[] = [];
    member.on("say", (m: ChatMessage) => said.push(m));
    for (let n = 1; n <= 12; n++) await ts.ws.chatRoom.broadcast({}, "defaultRoom", `m${n}`);
    await waitFor(() => said.length === 12, 10_000, "12 messages");
    expect(said.map((m) => m.offset)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    epoch = said[0]!.epoch!;
    expect(said.every((m) => m.epoch === epoch && m.from === "0")).to.equal(true);
  });
  after(async function () {
    await ts?.close();
  });

  /** The Promise API rejects on an error reply: its message is the reply's `error`. */
  const failure = (reply: Promise<unknown>) => reply.then(() => "no error", (error: Error) => error.message);
  const messagesOf = (reply: VerbResponse<ChatMessage[]>) => reply.data!.map((m) => [m.message, m.offset]);

  it("roomHistory: the newest `limit`, oldest first, as chat payloads with offsets; `before` pages back", async function () {
    const recent = (await member.roomHistory("defaultRoom", { limit: 3 })) as VerbResponse<ChatMessage[]>;
    expect(recent.status).to.equal("OK");
    expect(messagesOf(recent)).to.deep.equal([["m10", 10], ["m11", 11], ["m12", 12]]);
    expect(recent.data![0]).to.include({ room: "defaultRoom", from: "0", context: "user", epoch });
    const older = (await member.roomHistory("defaultRoom", { limit: 3, before: 10 })) as VerbResponse<ChatMessage[]>;
    expect(messagesOf(older)).to.deep.equal([["m7", 7], ["m8", 8], ["m9", 9]]);
    const all = (await member.roomHistory("defaultRoom")) as VerbResponse<ChatMessage[]>;
    expect(all.data!.map((m) => m.offset)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("roomHistory is for members only; ws.chatRoom.history is the server's own view", async function () {
    const outsider = await ts.connect();
    expect(await failure(outsider.roomHistory("defaultRoom", { limit: 1 }))).to.equal("Error: connection not in this room (defaultRoom)");
    const server = await ts.ws.chatRoom.history("defaultRoom", { limit: 2 });
    expect(server.map((m) => m.message)).to.deep.equal(["m11", "m12"]);
  });

  it("roomHistory refuses bad options with a clear error", async function () {
    const cases: Array<[unknown, string]> = [
      [{ limit: 0 }, "Error: limit must be an integer from 1 to 10"],
      [{ limit: 11 }, "Error: limit must be an integer from 1 to 10"],
      [{ limit: 1.5 }, "Error: limit must be an integer from 1 to 10"],
      [{ limit: "3" }, "Error: limit must be an integer from 1 to 10"],
      [{ before: -1 }, "Error: before must be a positive integer (an offset)"],
      [{ before: "x" }, "Error: before must be a positive integer (an offset)"],
      ["text", "Error: history options must be { limit?, before? }"],
      [[1], "Error: history options must be { limit?, before? }"],
    ];
    for (const [options, error] of cases) {
      expect(await failure(member.send({ event: "roomHistory", room: "defaultRoom", options })), JSON.stringify(options)).to.equal(error);
    }
  });

  it("roomAdd with a hostile `since` gets a clear error, joins nothing, and the server keeps serving", async function () {
    const other = await ts.connect();
    const otherEpoch = (await (async () => {
      await ts.ws.chatRoom.broadcast({}, "otherRoom", "x");
      return (await ts.ws.chatRoom.history("otherRoom", { limit: 1 }))[0]!.epoch as string;
    })());
    const cases: Array<[unknown, string]> = [
      [{ offset: -1, epoch }, "Error: since.offset must be a non-negative integer"],
      [{ offset: 1.5, epoch }, "Error: since.offset must be a non-negative integer"],
      [{ offset: 2 ** 60, epoch }, "Error: since.offset must be a non-negative integer"],
      [{ offset: "3", epoch }, "Error: since.offset must be a non-negative integer"],
      [{ offset: 13, epoch }, "Error: since.offset 13 is ahead of the room's last offset (12)"],
      [{ offset: 1e12, epoch }, "Error: since.offset 1000000000000 is ahead of the room's last offset (12)"],
      [{ offset: 1, epoch: 5 }, "Error: since.epoch must be a non-empty string of at most 64 characters"],
      [{ offset: 1, epoch: "" }, "Error: since.epoch must be a non-empty string of at most 64 characters"],
      [{ offset: 1, epoch: "e".repeat(65) }, "Error: since.epoch must be a non-empty string of at most 64 characters"],
      [{ offset: 1, epoch: "made-up" }, "Error: since.epoch is not an epoch of this room (defaultRoom)"],
      [{ offset: 1, epoch: otherEpoch }, "Error: since.epoch is not an epoch of this room (defaultRoom)"],
      [null, "Error: since must be { offset, epoch } as received in the room's messages"],
      ["3", "Error: since must be { offset, epoch } as received in the room's messages"],
      [[3, epoch], "Error: since must be { offset, epoch } as received in the room's messages"],
    ];
    for (const [since, error] of cases) {
      expect(await failure(other.send({ event: "roomAdd", room: "defaultRoom", since })), JSON.stringify(since)).to.equal(error);
    }
    expect(ts.ws.connections.get(other.id!)!.rooms).to.deep.equal([]);
    // a well-formed since still works on the same connection, and others were served meanwhile
    const good = await other.send({ event: "roomAdd", room: "defaultRoom", since: { offset: 10, epoch } });
    expect(good.data).to.deep.include({ recovered: true, epoch, offset: 12 });
    expect((good.data as { messages: ChatMessage[] }).messages.map((m) => m.message)).to.deep.equal(["m11", "m12"]);
    expect((await member.roomHistory("defaultRoom", { limit: 1 })).status).to.equal("OK");
  });

  it("a server with `history: false` refuses `since` and roomHistory clearly", async function () {
    const plain = await startClientServer({ history: false });
    try {
      const client = await plain.connect();
      expect(await failure(client.send({ event: "roomAdd", room: "defaultRoom", since: { offset: 1, epoch } }))).to.equal("Error: room history is off on this server (option `history`)");
      await client.roomAdd("defaultRoom");
      expect(await failure(client.roomHistory("defaultRoom"))).to.equal("Error: room history is off on this server (option `history`)");
    } finally {
      await plain.close();
    }
  });
});
