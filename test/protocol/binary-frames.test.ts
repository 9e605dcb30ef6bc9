/**
 * Binary from a raw socket.io-client (`socket.send(Buffer)`, or a frame object carrying a
 * Buffer, which socket.io sends as a binary event with an attachment) is refused with one
 * short error, over websocket and long-polling: never walked byte by byte, never echoed,
 * never delivered to a room. And no error reply echoes a large frame back.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawSocketIo, type Frame } from "../support/raw-socket-io.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const binaryError = "Error: binary frames are not supported";
/** Well under server.maxLength once socket.io's polling transport base64-encodes it. */
const attachmentBytes = 40_000;
/** Error replies stay this small whatever the frame held. */
const smallReply = 2048;

for (const transport of ["websocket", "polling"] as const) {
  describe(`protocol: binary and large frames over ${transport}`, function () {
    let ts: TestServer;
    let a: RawSocketIo;
    let member: RawSocketIo;

    before(async () => {
      ts = await startTestServer();
    });
    after(() => ts.close());
    beforeEach(async () => {
      a = await RawSocketIo.open(ts.url, transport);
      member = await RawSocketIo.open(ts.url, transport);
      for (const client of [a, member]) {
        expect((await client.request({ event: "roomAdd", room: "defaultRoom", messageId: "join" })).status).to.equal("OK");
      }
    });
    afterEach(() => {
      a.close();
      member.close();
    });

    /** The connection still answers and the reply was an error of the expected size. */
    async function refusedBriefly(reply: Frame): Promise<void> {
      expect(reply.status).to.equal(binaryError);
      expect(reply.error).to.equal(binaryError);
      expect(reply.data).to.deep.equal({});
      expect(JSON.stringify(reply).length).to.be.below(smallReply);
      expect((await a.request({ event: "detailsView", messageId: "after" })).status).to.equal("OK");
      expect(a.disconnected).to.equal(false);
    }

    it("answers socket.send(Buffer) with a short error and a fresh messageId", async () => {
      const mark = a.received.length;
      a.socket.send(Buffer.alloc(attachmentBytes, 65));
      const reply = await a.next((f) => f.context === "response", 5000, mark);
      expect(reply.messageId).to.match(uuid);
      await refusedBriefly(reply);
      expect(ts.ws.stats().badFrames).to.be.at.least(1);
    });

    it("answers a frame carrying a Buffer (a binary event) with a short error and its messageId", async () => {
      const mark = a.received.length;
      a.socket.send({ event: "detailsView", blob: Buffer.alloc(attachmentBytes, 66), messageId: "with-buffer" });
      const reply = await a.next((f) => f.messageId === "with-buffer", 5000, mark);
      await refusedBriefly(reply);
    });

    it("never runs an action with a Buffer in its params", async () => {
      const mark = a.received.length;
      a.socket.send({ event: "action", params: { action: "echoParams", anything: { deep: [Buffer.from("hi")] } }, messageId: "action-buffer" });
      const reply = await a.next((f) => f.messageId === "action-buffer", 5000, mark);
      expect(reply.params).to.equal(undefined);
      await refusedBriefly(reply);
    });

    it("never delivers a say whose message is a Buffer", async () => {
      const mark = a.received.length;
      const memberMark = member.received.length;
      a.socket.send({ event: "say", room: "defaultRoom", message: Buffer.alloc(attachmentBytes, 67), messageId: "say-buffer" });
      const reply = await a.next((f) => f.messageId === "say-buffer", 5000, mark);
      await refusedBriefly(reply);
      expect((await a.request({ event: "say", room: "defaultRoom", message: "plain", messageId: "say-plain" })).status).to.equal("OK");
      const delivered = await member.next((f) => f.context === "user", 5000, memberMark);
      expect(delivered.message).to.equal("plain");
    });

    it("caps what an error reply echoes of a large frame", async () => {
      const big = "x".repeat(40_000);
      const verb = await a.request({ event: "noSuchVerb", pad: big, messageId: "big-verb" });
      expect(verb.error).to.equal("Error: verb not found or not allowed (noSuchVerb)");
      expect(JSON.stringify(verb).length).to.be.below(smallReply);
      const string = await a.reply(JSON.stringify(big));
      expect(string.error).to.match(/^Error: frame must be a JSON object/);
      expect(JSON.stringify(string).length).to.be.below(smallReply);
      // Small values are still echoed as before.
      const small = await a.request({ event: "noSuchVerb", key: "a", messageId: "small-verb" });
      expect(small.data).to.deep.equal({ key: "a" });
    });
  });
}
