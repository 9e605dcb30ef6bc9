/**
 * Faults #3, #5, #6, #9: every per-connection limit answers with a clear error or closes
 * with a stated reason, and the server keeps serving: inbound frame size (websocket 1009,
 * polling 413), message rate, simultaneous actions, rooms per connection, room-name size,
 * messageId type and length.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import type { ActionheroWsOptions } from "../../lib/index.js";
import { RawEngineWs, RawIo, floodUntil, httpRequest, recordingLogger, sleep, waitUntil, type Frame } from "../support/raw-io.js";

const response = (id: unknown) => (f: Frame) => f.context === "response" && f.messageId === id;

describe("limits", function () {
  let ts: TestServer;
  let log: ReturnType<typeof recordingLogger>;
  const clients: Array<{ close(): void }> = [];
  const start = async (options: ActionheroWsOptions = {}) => {
    log = recordingLogger();
    ts = await startTestServer({ logger: log.logger, ...options });
  };
  const open = async (transport: "websocket" | "polling" = "websocket") => {
    const client = await RawIo.open(ts.url, { transport });
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts?.close();
  });

  describe("inbound frame size (server.maxLength, default 64 KiB)", function () {
    beforeEach(() => start());

    it("websocket: a frame just under the limit works; one over it closes the socket with 1009", async function () {
      const client = await RawEngineWs.open(ts.port);
      clients.push({ close: () => client.terminate() });
      await waitUntil(() => ts.ws.connections.size === 1, 2000, "the connection is registered");
      // The limit counts the whole websocket message: `42["message","<escaped Primus JSON>"]`.
      const fits = JSON.stringify({ event: "detailsView", messageId: "fits", pad: "x".repeat(64 * 1024 - 200) });
      client.sendEncoded(fits);
      await waitUntil(() => client.frames.some(response("fits")), 3000, "the reply to a frame under the limit");

      client.sendPrimus({ event: "detailsView", messageId: "big", pad: "x".repeat(64 * 1024) });
      expect(await client.closed()).to.equal(1009);
      expect(client.frames.some(response("big"))).to.equal(false);
      await waitUntil(() => ts.ws.connections.size === 0, 2000, "the connection is forgotten");
      const stats = ts.ws.stats();
      expect(stats.oversizedFrames).to.equal(1);
      expect(stats.badFrames).to.equal(1);
      const lines = log.find(/server\.maxLength/, ["warn"]);
      expect(lines).to.have.length(1);
      expect(lines[0].msg).to.include("1009");
      expect((lines[0].obj as { maxLength: number }).maxLength).to.equal(64 * 1024);
    });

    it("a configured maxLength applies instead", async function () {
      await ts.close();
      await start({ server: { maxLength: 1024 } });
      const client = await RawEngineWs.open(ts.port);
      clients.push({ close: () => client.terminate() });
      client.sendPrimus({ event: "detailsView", messageId: "big", pad: "x".repeat(1100) });
      expect(await client.closed()).to.equal(1009);
      expect(ts.ws.stats().oversizedFrames).to.equal(1);
    });

    it("polling: a body over the limit is answered 413, logged, counted, and the session ends", async function () {
      const base = `${ts.url}/primus/?EIO=4&transport=polling`;
      const open = await httpRequest(base);
      const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      const connect = await httpRequest(`${base}&sid=${sid}`, { method: "POST", body: "40" });
      expect(connect.status).to.equal(200);
      await waitUntil(() => ts.ws.connections.size === 1, 2000, "the polling connection is registered");
      const big = await httpRequest(`${base}&sid=${sid}`, { method: "POST", body: `4${"x".repeat(64 * 1024 + 10)}` });
      expect(big.status).to.equal(413);
      await waitUntil(() => ts.ws.connections.size === 0, 2000, "the session ended");
      expect(ts.ws.stats().oversizedFrames).to.equal(1);
      expect(log.find(/413/, ["warn"])).to.have.length(1);
    });

    it("polling through socket.io-client: the client sees a transport error and the server lives on", async function () {
      const client = await open("polling");
      client.sendRaw(JSON.stringify({ event: "say", room: "defaultRoom", message: "y".repeat(70 * 1024) }));
      // Its POST fails with 413 ("transport error") or its pending poll gets the close
      // packet of the ended session first ("transport close"): either way it is closed.
      expect(await client.closed()).to.be.oneOf(["transport error", "transport close"]);
      await waitUntil(() => ts.ws.connections.size === 0, 2000, "the session ended");
      const other = await open("websocket");
      expect((await other.request({ event: "detailsView" }, 1)).status).to.equal("OK");
    });
  });

  describe("message rate (limits.messagesPerSecond / messageBurst)", function () {
    beforeEach(() => start({ limits: { messagesPerSecond: 10, messageBurst: 20 } }));

    it("answers frames over the budget with 'rate limited' and retryAfterMs, and recovers after a pause", async function () {
      const client = await open();
      for (let i = 0; i < 25; i++) client.send({ event: "detailsView", messageId: i });
      await waitUntil(() => client.frames.filter((f) => f.context === "response").length === 25, 3000, "25 answers");
      const answers = client.frames.filter((f) => f.context === "response");
      const limited = answers.filter((f) => f.error === "Error: rate limited");
      expect(answers.filter((f) => f.status === "OK")).to.have.length.at.least(20);
      expect(limited).to.have.length.within(1, 5);
      for (const frame of limited) {
        expect(frame.status).to.equal("Error: rate limited");
        expect(frame.retryAfterMs).to.be.a("number").above(0).and.at.most(100);
        expect(frame.messageId).to.be.a("number");
      }
      await sleep(700);
      for (let i = 100; i < 105; i++) expect((await client.request({ event: "detailsView" }, i)).status).to.equal("OK");
      expect(client.disconnected).to.equal(false);
      expect(ts.ws.stats().rateLimited).to.equal(limited.length);
    });

    it("closes a connection that keeps flooding, with a stated reason before the close and no reconnect", async function () {
      const client = await open();
      const bystander = await open();
      // Flooding that goes on (a single burst is answered and tolerated).
      const { sent } = await floodUntil((i) => client.send({ event: "detailsView", messageId: i }), () => client.disconnected || client.frames.some((f) => f.event === "close"));
      const notice = await client.next((f) => f.context === "api" && f.event === "close", 3000);
      expect(notice.reason).to.equal("rate limited");
      expect(notice.message).to.match(/10 messages per second/);
      await client.closed();
      // Primus's "do not reconnect" comes after the notice.
      expect(client.controls).to.include("primus::server::close");
      const answered = client.frames.filter((f) => f.context === "response").length;
      expect(answered).to.be.below(sent);
      const stats = ts.ws.stats();
      expect(stats.rateLimitCloses).to.equal(1);
      expect(stats.rateLimited).to.be.at.least(50);
      const lines = log.find(/keeps flooding/, ["warn"]);
      expect(lines).to.have.length(1);
      expect((lines[0].obj as { reason: string }).reason).to.equal("rate limited");
      await waitUntil(() => ts.ws.connections.size === 1, 2000, "the flooder is forgotten");
      expect((await bystander.request({ event: "detailsView" }, "b")).status).to.equal("OK");
    });
    it("closes a flooding websocket with close code 1008 and the reason, after the notice", async function () {
      const client = await RawEngineWs.open(ts.port);
      await floodUntil((i) => client.sendPrimus({ event: "detailsView", messageId: i }), () => client.closeCode !== undefined);
      const code = await client.closed(3000);
      expect(code).to.equal(1008);
      expect(client.closeReason).to.equal("rate limited");
      expect(client.frames.some((f) => f.context === "api" && f.event === "close" && f.reason === "rate limited")).to.equal(true);
    });
  });

  describe("simultaneous actions, rooms, room names, messageId", function () {
    beforeEach(() => start({ simultaneousActions: 2, limits: { roomsPerConnection: 2 }, startingChatRooms: { a: {}, b: {}, c: {} } }));

    it("refuses actions over simultaneousActions with Actionhero's error, then accepts again", async function () {
      const client = await open();
      for (let i = 0; i < 4; i++) client.send({ event: "action", params: { action: "sleepTest", sleepDuration: 200 }, messageId: `s${i}` });
      await waitUntil(() => client.frames.filter((f) => f.context === "response").length === 4, 3000, "4 answers");
      const errors = client.frames.filter((f) => f.error === "you have too many pending requests");
      expect(errors.map((f) => f.messageId).sort()).to.deep.equal(["s2", "s3"]);
      expect(client.frames.filter((f) => typeof f.sleepDelta === "number")).to.have.length(2);
      const again = await client.request({ event: "action", params: { action: "sleepTest", sleepDuration: 1 } }, "after");
      expect(again.error).to.equal(undefined);
    });

    it("refuses a room over limits.roomsPerConnection until one is left", async function () {
      const client = await open();
      expect((await client.request({ event: "roomAdd", room: "a" }, 1)).status).to.equal("OK");
      expect((await client.request({ event: "roomAdd", room: "b" }, 2)).status).to.equal("OK");
      const third = await client.request({ event: "roomAdd", room: "c" }, 3);
      expect(third.error).to.equal("Error: connection is in too many rooms (limit 2)");
      expect((await client.request({ event: "roomLeave", room: "a" }, 4)).status).to.equal("OK");
      expect((await client.request({ event: "roomAdd", room: "c" }, 5)).status).to.equal("OK");
      expect((await ts.ws.chatRoom.roomStatus("c")).membersCount).to.equal(1);
    });

    it("refuses room names over limits.roomNameBytes (UTF-8 bytes), empty, or with control characters", async function () {
      const client = await open();
      const cases: Array<[unknown, string]> = [
        ["r".repeat(257), "longer than 256 bytes"],
        ["€".repeat(86), "longer than 256 bytes"], // 86 characters, 258 bytes
        ["bad\u0000room", "control characters"],
        ["line\nbreak", "control characters"],
        [{ not: "a string" }, "must be a string"],
      ];
      let id = 0;
      for (const [room, message] of cases) {
        for (const event of ["roomAdd", "say", "roomLeave"]) {
          const reply = await client.request({ event, room, message: "hi" }, ++id);
          expect(String(reply.error), `${event} ${JSON.stringify(room).slice(0, 30)}`).to.match(/^Error: /);
          if (event === "roomAdd") expect(String(reply.error)).to.include(message);
        }
      }
      let thrown: unknown;
      try {
        await ts.ws.chatRoom.add("x".repeat(300));
      } catch (error) {
        thrown = error;
      }
      expect(String(thrown)).to.include("longer than 256 bytes");
      expect((await client.request({ event: "roomAdd", room: "a" }, "ok")).status).to.equal("OK");
    });

    it("echoes numeric and short string messageIds; refuses other types and long strings with a fresh id", async function () {
      const client = await open();
      expect((await client.request({ event: "detailsView" }, 1e15)).status).to.equal("OK");
      expect((await client.request({ event: "detailsView" }, "m".repeat(128))).status).to.equal("OK");
      const refused: unknown[] = ["m".repeat(129), { a: 1 }, [1, 2], true];
      for (const messageId of refused) {
        const mark = client.frames.length;
        client.send({ event: "detailsView", messageId });
        await waitUntil(() => client.frames.length > mark, 2000, "an answer");
        const reply = client.frames[mark];
        expect(reply.error, JSON.stringify(messageId)).to.equal("Error: messageId must be a number or a string of at most 128 characters");
        expect(reply.messageId).to.match(/^[0-9a-f-]{36}$/);
      }
      expect(ts.ws.stats().badFrames).to.equal(refused.length);
    });

    it("never routes replies across connections that use the same messageId", async function () {
      const one = await open();
      const two = await open();
      one.send({ event: "action", params: { action: "sleepTest", sleepDuration: 50 }, messageId: "same" });
      two.send({ event: "detailsView", messageId: "same" });
      two.send({ event: "detailsView", messageId: "same" });
      await waitUntil(() => one.frames.some(response("same")) && two.frames.filter(response("same")).length === 2, 2000, "all replies");
      await sleep(100);
      expect(one.frames.filter(response("same"))).to.have.length(1);
      expect(one.frames.find(response("same"))?.sleepDuration).to.equal(50);
      expect(two.frames.filter(response("same")).every((f) => f.status === "OK")).to.equal(true);
    });
  });
});
