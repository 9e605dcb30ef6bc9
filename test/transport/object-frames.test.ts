/**
 * Object frames (lib/transport/object-frames.ts): clients built from our library announce
 * them and then frames travel as socket.io arguments both ways; every other client gets
 * and may send Primus's JSON strings; anything socket.io would encode differently from JSON
 * (binary) goes as a JSON string, so every client decodes the same values as before.
 */
import { expect } from "chai";
import type { EventEmitter } from "node:events";
import type Primus from "primus";
import type { ActionDefinition } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { RawClient } from "../support/primus-client.js";
import { RawSocketIo } from "../support/raw-socket-io.js";

const bufferReply: ActionDefinition = { name: "bufferReply", run: () => ({ buf: Buffer.from("hi"), text: "plain" }) };

/** What socket.io delivered, before Primus decoded it: "object" or "string" per message. */
function recordTypes(emitter: EventEmitter): string[] {
  const types: string[] = [];
  emitter.on("message", (value: unknown) => types.push(typeof value));
  return types;
}

describe("transport: object frames", function () {
  this.timeout(15_000);
  let ts: TestServer;
  let inbound: string[];

  beforeEach(async () => {
    ts = await startTestServer({ actions: [...allTestActions, bufferReply] });
    inbound = [];
    // Every message the server's socket.io sockets receive, by type.
    ts.ws.primus!.on("connection", (spark: Primus.Spark) => {
      (spark.socket as EventEmitter).on("message", (value: unknown) => inbound.push(typeof value));
    });
  });
  afterEach(async () => {
    await ts.close();
  });

  for (const polling of [false, true]) {
    it(`our client library sends and gets objects${polling ? " over long-polling" : ""}, and the values are the same`, async () => {
      const client = await RawClient.open(ts.ws, ts.url, { polling });
      try {
        const outbound = recordTypes((client.socket as unknown as { socket: EventEmitter }).socket);
        const reply = await client.request({ event: "action", params: { action: "echoParams", anything: { deep: ["x", 1, null, true] } } });
        expect((reply.params as Record<string, unknown>).anything).to.deep.equal({ deep: ["x", 1, null, true] });
        expect(inbound).to.include("object");
        expect(inbound).to.not.include("string");
        expect(outbound).to.deep.equal(["object"]);
      } finally {
        client.close();
      }
    });
  }

  it("a raw socket.io client that did not announce them gets strings, and may send either", async () => {
    const client = await RawSocketIo.open(ts.url, "websocket");
    try {
      const outbound = recordTypes(client.socket as unknown as EventEmitter);
      const viaString = await client.request({ event: "action", params: { action: "echoParams", anything: "s" }, messageId: "s" });
      expect((viaString.params as Record<string, unknown>).anything).to.equal("s");
      const mark = client.received.length;
      client.socket.send({ event: "action", params: { action: "echoParams", anything: "o" }, messageId: "o" });
      const viaObject = await client.next((f) => f.messageId === "o", 5000, mark);
      expect((viaObject.params as Record<string, unknown>).anything).to.equal("o");
      expect(outbound).to.deep.equal(["string", "string"]);
      expect(inbound).to.deep.equal(["string", "object"]);
    } finally {
      client.close();
    }
  });

  it("binary goes as a JSON string both ways: the values are JSON's, as before", async () => {
    const client = await RawClient.open(ts.ws, ts.url);
    try {
      const outbound = recordTypes((client.socket as unknown as { socket: EventEmitter }).socket);
      const echoed = await client.request({ event: "action", params: { action: "echoParams", anything: Buffer.from("hi") } });
      expect((echoed.params as Record<string, unknown>).anything).to.deep.equal({ type: "Buffer", data: [104, 105] });
      expect(inbound).to.deep.equal(["string"]);
      const reply = await client.request({ event: "action", params: { action: "bufferReply" } });
      expect(reply).to.deep.include({ buf: { type: "Buffer", data: [104, 105] }, text: "plain" });
      // The echo (no binary left in it: the server got JSON's form) as an object, the
      // Buffer reply as a string.
      expect(outbound).to.deep.equal(["object", "string"]);
    } finally {
      client.close();
    }
  });

  it("room broadcasts are one shared string, for object-frame clients too", async () => {
    const client = await RawClient.open(ts.ws, ts.url);
    try {
      await client.request({ event: "roomAdd", room: "defaultRoom" });
      const outbound = recordTypes((client.socket as unknown as { socket: EventEmitter }).socket);
      const mark = client.frames.length;
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", { hello: "room" });
      const chat = await client.next((f) => f.context === "user", 5000, mark);
      expect(chat.message).to.deep.equal({ hello: "room" });
      expect(outbound).to.deep.equal(["string"]);
    } finally {
      client.close();
    }
  });
});
