/**
 * Frames skip Primus's per-message event chain only when nothing can tell the difference
 * (lib/transport/spark-transport.ts). These check the cases where it must not: incoming
 * transformers, an application's own `data` or `outgoing::data` listener, Primus's
 * protocol strings.
 */
import { expect } from "chai";
import type Primus from "primus";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawSocketIo } from "../support/raw-socket-io.js";

type IncomingPacket = { data: unknown };
type TransformingPrimus = Primus & { transform(type: "incoming", fn: (packet: IncomingPacket) => unknown): Primus };

describe("transport: inbound frames and Primus's own hooks", function () {
  this.timeout(20_000);
  let ts: TestServer;
  const clients: RawSocketIo[] = [];
  const open = async () => {
    const client = await RawSocketIo.open(ts.url, "websocket");
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    ts = await startTestServer({ server: { pingInterval: 150 } });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts.close();
  });

  it("an incoming Primus transformer sees every frame, may change it, and may swallow it", async () => {
    const primus = ts.ws.primus as TransformingPrimus;
    const client = await open();
    const seen: unknown[] = [];
    primus.transform("incoming", (packet) => {
      seen.push(packet.data);
      const frame = packet.data as { messageId?: string; params?: Record<string, unknown> };
      if (frame.messageId === "swallowed") return false;
      if (frame.params) frame.params.anything = "set by the transformer";
      return undefined;
    });
    const changed = await client.request({ event: "action", params: { action: "echoParams", anything: "sent" }, messageId: "changed" });
    expect((changed.params as Record<string, unknown>).anything).to.equal("set by the transformer");

    const mark = client.received.length;
    client.sendRaw(JSON.stringify({ event: "detailsView", messageId: "swallowed" }));
    const after = await client.request({ event: "detailsView", messageId: "after" });
    expect(after.status).to.equal("OK");
    expect(client.received.slice(mark).some((f) => (f as { messageId?: string }).messageId === "swallowed")).to.equal(false);
    expect(seen.map((f) => (f as { messageId?: string }).messageId)).to.deep.equal(["changed", "swallowed", "after"]);
  });

  it("a `data` listener the application adds to a spark gets every frame, and the frames still run", async () => {
    const heard: unknown[] = [];
    ts.ws.primus!.on("connection", (spark: Primus.Spark) => spark.on("data", (data: unknown) => heard.push(data)));
    const client = await open();
    const reply = await client.request({ event: "action", params: { action: "echoParams", anything: 1 }, messageId: 7 });
    expect(reply.params).to.deep.include({ action: "echoParams", anything: 1 });
    expect(heard).to.deep.equal([{ event: "action", params: { action: "echoParams", anything: 1 }, messageId: 7 }]);
  });

  it("an `outgoing::data` listener the application adds to a spark sees every reply packet, and the client gets it", async () => {
    const packets: unknown[] = [];
    ts.ws.primus!.on("connection", (spark: Primus.Spark) => spark.on("outgoing::data", (packet: unknown) => packets.push(packet)));
    const client = await open();
    const reply = await client.request({ event: "action", params: { action: "echoParams", anything: "out" }, messageId: "out" });
    expect((reply.params as Record<string, unknown>).anything).to.equal("out");
    const replyPackets = packets.filter((p) => typeof p === "string" && p.includes('"messageId":"out"'));
    expect(replyPackets).to.have.length(1);
    expect(JSON.parse(replyPackets[0] as string)).to.deep.equal(reply);
  });

  it("Primus's pongs reach Primus: a client that answers pings outlives many intervals and gets no error for them", async () => {
    const client = await open();
    // RawSocketIo answers every `primus::ping::<n>` with a pong; without them the spark is
    // reaped after about two 150 ms intervals.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(client.received.filter((f) => typeof f === "string" && f.startsWith("primus::ping::")).length).to.be.greaterThan(3);
    expect(client.disconnected).to.equal(false);
    expect(client.frames.filter((f) => f.context === "response")).to.deep.equal([]);
    const reply = await client.request({ event: "detailsView", messageId: "alive" });
    expect(reply.status).to.equal("OK");
  });

  it("a frame sent as a socket.io object argument (not a JSON string) is the same frame", async () => {
    const client = await open();
    const mark = client.received.length;
    client.socket.send({ event: "action", params: { action: "echoParams", anything: "as object" }, messageId: "obj" });
    const reply = await client.next((f) => f.messageId === "obj", 5000, mark);
    expect((reply.params as Record<string, unknown>).anything).to.equal("as object");
  });

  it("a JSON string or broken JSON takes Primus's path and is answered with the same errors", async () => {
    const client = await open();
    const notObject = await client.reply(JSON.stringify("just a string"));
    expect(notObject.error).to.match(/frame must be a JSON object/);
    const broken = await client.reply("{broken");
    expect(broken.error).to.equal("Error: invalid JSON");
    const fine = await client.request({ event: "detailsView", messageId: "fine" });
    expect(fine.status).to.equal("OK");
  });
});
