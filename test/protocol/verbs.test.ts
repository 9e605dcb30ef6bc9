/** Every verb and action path, with exact wire shapes, over websocket and forced long-polling. */
import { expect } from "chai";
import { statSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, fixturesPublic, type TestServer } from "../support/test-server.js";
import { RawClient, sleep } from "../support/primus-client.js";
import { historyFields } from "../support/chat-helpers.js";

for (const transport of ["websocket", "polling"] as const) {
  describe(`protocol verbs over ${transport}`, function () {
    let ts: TestServer;
    let a: RawClient;
    let b: RawClient;
    const open = () => RawClient.open(ts.ws, ts.url, { polling: transport === "polling" });

    before(async () => {
      ts = await startTestServer();
    });
    after(async () => {
      await ts.close();
    });
    beforeEach(async () => {
      a = await open();
      b = await open();
    });
    afterEach(() => {
      a.close();
      b.close();
    });

    it("sends the welcome frame first, then runs on the expected transport", async () => {
      expect(a.frames[0]).to.deep.equal({ welcome: "Welcome to the actionhero api", context: "api" });
      // Clients start on polling and upgrade: give the upgrade a moment before looking.
      let conn;
      for (let i = 0; i < 100 && !conn; i++) {
        conn = [...ts.ws.connections.values()].find((c) => c.transport === transport);
        if (!conn) await sleep(20);
      }
      expect(conn, `a connection on ${transport}`).to.not.equal(undefined);
    });

    it("detailsView answers the nine fields of the connection", async () => {
      const reply = await a.request({ event: "detailsView" });
      expect(reply.status).to.equal("OK");
      const data = reply.data as Record<string, unknown>;
      expect(Object.keys(data)).to.deep.equal(["id", "fingerprint", "remoteIP", "remotePort", "params", "connectedAt", "rooms", "totalActions", "pendingActions"]);
      expect(["127.0.0.1", "::ffff:127.0.0.1", "::1"]).to.include(data.remoteIP);
      expect(data.connectedAt).to.be.below(Date.now() + 1);
      expect(data.rooms).to.deep.equal([]);
      expect(ts.ws.connections.get(data.id as string)?.type).to.equal("websocket");
    });

    it("echoes numeric and string messageIds and generates one when missing", async () => {
      expect((await a.request({ event: "detailsView", messageId: 77 })).messageId).to.equal(77);
      expect((await a.request({ event: "detailsView", messageId: "abc" })).messageId).to.equal("abc");
      const mark = a.frames.length;
      a.send({ event: "detailsView" });
      const reply = await a.next((f) => f.context === "response", 5000, mark);
      expect(reply.messageId).to.match(/^[0-9a-f-]{36}$/);
    });

    it("runs an action without params and with params; params are not sticky", async () => {
      const r1 = await a.request({ event: "action", params: { action: "randomNumber" } });
      expect(r1.error).to.equal(undefined);
      expect(r1.randomNumber).to.be.a("number");
      expect(r1.context).to.equal("response");
      const r2 = await a.request({ event: "action", params: { action: "cacheTest", key: "K", value: "v" } });
      expect(r2.cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "k", value: "v" } });
      const r3 = await a.request({ event: "action", params: { action: "cacheTest" } });
      expect(r3.error).to.equal("key is a required parameter for this action");
    });

    it("answers action errors with Actionhero's strings and no 'Error: ' prefix", async () => {
      expect((await a.request({ event: "action", params: { action: "nope" } })).error).to.equal("unknown action or invalid apiVersion");
      expect((await a.request({ event: "action", params: { action: "validated", n: -1 } })).error).to.equal('Input for parameter "n" failed validation!');
      expect((await a.request({ event: "action", params: { action: "cacheTest", key: "k", value: "x".repeat(200) } })).error).to.equal("value too long");
      expect((await a.request({ event: "action", params: { action: "failing" } })).error).to.equal("something broke");
      expect((await a.request({ event: "action", params: { action: "failing", kind: "string" } })).error).to.equal("a thrown string");
      expect((await a.request({ event: "action", params: { action: "failing", kind: "object" } })).error).to.deep.equal({ code: 42, reason: "object" });
      expect((await a.request({ event: "action", params: { action: "webOnly" } })).error).to.equal("this action does not support the websocket connection type");
    });

    it("sends nothing for an action that sets toRender = false", async () => {
      const mark = a.frames.length;
      a.send({ event: "action", params: { action: "silent" }, messageId: "quiet" });
      const next = await a.request({ event: "detailsView" });
      expect(next.status).to.equal("OK");
      expect(a.after(mark, (f) => f.messageId === "quiet")).to.have.length(0);
    });

    it("answers concurrent actions with their own messageIds in completion order", async () => {
      const mark = a.frames.length;
      a.send({ event: "action", params: { action: "sleepTest", sleepDuration: 300 }, messageId: "slow" });
      a.send({ event: "action", params: { action: "sleepTest", sleepDuration: 10 }, messageId: "fast" });
      await a.next((f) => f.messageId === "slow", 5000, mark);
      const order = a.after(mark, (f) => f.context === "response").map((f) => f.messageId);
      expect(order).to.deep.equal(["fast", "slow"]);
    });

    it("refuses the (simultaneousActions+1)th concurrent action", async () => {
      const mark = a.frames.length;
      for (let i = 0; i < 6; i++) a.send({ event: "action", params: { action: "sleepTest", sleepDuration: 300 }, messageId: `s${i}` });
      for (let i = 0; i < 6; i++) await a.next((f) => f.messageId === `s${i}`, 5000, mark);
      const replies = a.after(mark, (f) => f.context === "response");
      expect(replies[0].error).to.equal("you have too many pending requests");
      expect(replies.slice(1).every((f) => f.error === undefined)).to.equal(true);
    });

    it("roomAdd, roomView, roomLeave with Actionhero replies", async () => {
      expect(await a.request({ event: "roomAdd", room: "defaultRoom", messageId: 10 })).to.deep.equal({ status: "OK", context: "response", data: true, messageId: 10 });
      const dup = await a.request({ event: "roomAdd", room: "defaultRoom", messageId: 11 });
      expect(dup).to.deep.equal({ status: "Error: connection already in this room (defaultRoom)", error: "Error: connection already in this room (defaultRoom)", context: "response", data: {}, messageId: 11 });
      expect((await a.request({ event: "roomAdd", room: "missingRoom" })).error).to.equal("Error: room does not exist");
      const view = await a.request({ event: "roomView", room: "defaultRoom" });
      const status = view.data as { room: string; members: Record<string, { id: string; joinedAt: number }>; membersCount: number };
      expect(status.room).to.equal("defaultRoom");
      expect(status.membersCount).to.equal(1);
      const [member] = Object.values(status.members);
      expect(Object.keys(member)).to.deep.equal(["id", "joinedAt"]);
      expect((await a.request({ event: "roomView", room: "otherRoom" })).error).to.equal("Error: connection not in this room (otherRoom)");
      expect((await a.request({ event: "roomLeave", room: "defaultRoom" })).data).to.equal(true);
      expect((await a.request({ event: "roomLeave", room: "defaultRoom" })).error).to.equal("Error: connection not in this room (defaultRoom)");
    });

    it("refuses concurrent duplicate roomAdd on one connection: one success, one error", async () => {
      const mark = a.frames.length;
      a.send({ event: "roomAdd", room: "otherRoom", messageId: "j1" });
      a.send({ event: "roomAdd", room: "otherRoom", messageId: "j2" });
      const r1 = await a.next((f) => f.messageId === "j1", 5000, mark);
      const r2 = await a.next((f) => f.messageId === "j2", 5000, mark);
      expect([r1.status, r2.status].sort()).to.deep.equal(["Error: connection already in this room (otherRoom)", "OK"]);
      const details = await a.request({ event: "detailsView" });
      expect((details.data as { rooms: string[] }).rooms).to.deep.equal(["otherRoom"]);
    });

    it("say delivers to every member (sender included) after the OK, never to non-members", async () => {
      await a.request({ event: "roomAdd", room: "defaultRoom" });
      await b.request({ event: "roomAdd", room: "defaultRoom" });
      const outsider = await open();
      await outsider.request({ event: "roomAdd", room: "otherRoom" });
      const aMark = a.frames.length;
      const ok = await b.request({ message: "hello from client 2", room: "defaultRoom", event: "say" });
      expect(ok).to.deep.include({ status: "OK", context: "response" });
      expect(ok).to.not.have.property("data");
      const got = await a.next((f) => f.context === "user", 5000, aMark);
      const bId = ((await b.request({ event: "detailsView" })).data as { id: string }).id;
      const { offset, epoch } = historyFields(got);
      expect(got).to.deep.equal({ message: "hello from client 2", room: "defaultRoom", from: bId, context: "user", sentAt: got.sentAt, offset, epoch });
      await b.next((f) => f.context === "user" && f.message === "hello from client 2");
      await a.request({ event: "say", room: "defaultRoom", message: { structured: true, n: [1, 2] } });
      const obj = await b.next((f) => f.context === "user" && typeof f.message === "object");
      expect(obj.message).to.deep.equal({ structured: true, n: [1, 2] });
      expect(historyFields(obj), "the room's next message").to.deep.equal({ offset: offset + 1, epoch });
      await sleep(100);
      expect(outsider.frames.filter((f) => f.context === "user")).to.have.length(0);
      expect((await outsider.request({ event: "say", room: "defaultRoom", message: "x" })).error).to.equal("Error: connection not in this room (defaultRoom)");
      expect((await a.request({ event: "say", room: "defaultRoom" })).error).to.equal("Error: both room and message are required");
      outsider.close();
    });

    it("file: text and binary intact, each reply with its own messageId, traversal impossible", async () => {
      const mark = a.frames.length;
      a.send({ event: "file", file: "simple.html", messageId: "f1" });
      a.send({ event: "file", file: "bytes.bin", messageId: "f2" });
      a.send({ event: "file", file: "../outside/secret.txt", messageId: "f3" });
      const [f1, f2, f3] = await Promise.all(["f1", "f2", "f3"].map((id) => a.next((f) => f.messageId === id, 5000, mark)));
      expect(f1.error).to.equal(undefined);
      expect(f1.content).to.contain("<h1>Actionhero</h1>");
      expect(f1.mime).to.equal("text/html");
      expect(f1.length).to.equal(statSync(join(fixturesPublic, "simple.html")).size);
      expect(f2.encoding).to.equal("base64");
      const bytes = Buffer.from(f2.content as string, "base64");
      expect([...bytes]).to.deep.equal([...Array(256).keys()]);
      expect(f3).to.deep.include({ error: "that file is not found", content: null, mime: "text/html" });
      for (const bad of ["/etc/passwd", "missing.html", "", "..", "%2e%2e/package.json"]) {
        expect((await a.request({ event: "file", file: bad })).error, bad).to.equal("that file is not found");
      }
    });

    it("documentation lists the actions with their inputs", async () => {
      const reply = await a.request({ event: "documentation" });
      const docs = reply.data as Record<string, Record<string, { name: string; inputs: Record<string, { required: boolean }> }>>;
      expect(docs.cacheTest["1"].inputs.key.required).to.equal(true);
      expect(docs.randomNumber["1"].name).to.equal("randomNumber");
    });

    it("quit ends the connection without a reply and the server forgets it", async () => {
      const before = ts.ws.connections.size;
      a.send({ event: "quit" });
      for (let i = 0; i < 50 && ts.ws.connections.size === before; i++) await sleep(20);
      expect(ts.ws.connections.size).to.equal(before - 1);
      expect(a.frames.some((f) => f.context === "response")).to.equal(false);
    });

    it("connection.sendMessage() reaches the client from server code", async () => {
      const id = ((await a.request({ event: "detailsView" })).data as { id: string }).id;
      ts.ws.connections.get(id)!.sendMessage({ context: "alert", message: "from the server" });
      const alert = await a.next((f) => f.context === "alert");
      expect(alert.message).to.equal("from the server");
    });
  });
}

describe("protocol verbs with `history: false`: Actionhero's chat payloads", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ history: false });
  });
  after(async () => {
    await ts.close();
  });

  it("say and broadcast deliver exactly {message, room, from, context, sentAt}, no offset or epoch", async () => {
    const [a, b] = [await RawClient.open(ts.ws, ts.url), await RawClient.open(ts.ws, ts.url)];
    try {
      for (const client of [a, b]) expect((await client.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
      const aId = ((await a.request({ event: "detailsView" })).data as { id: string }).id;
      const mark = b.frames.length;
      expect((await a.request({ event: "say", room: "defaultRoom", message: "plain" })).status).to.equal("OK");
      const said = await b.next((f) => f.context === "user" && f.message === "plain", 5000, mark);
      expect(said).to.deep.equal({ message: "plain", room: "defaultRoom", from: aId, context: "user", sentAt: said.sentAt });
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", "from the server");
      const broadcast = await b.next((f) => f.context === "user" && f.message === "from the server", 5000, mark);
      expect(broadcast).to.deep.equal({ message: "from the server", room: "defaultRoom", from: "0", context: "user", sentAt: broadcast.sentAt });
    } finally {
      a.close();
      b.close();
    }
  });
});
