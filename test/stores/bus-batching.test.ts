/**
 * Messages published together are delivered together: the embedded bus delivers every
 * message published before the next turn of the event loop in that one turn, in publish
 * order. Then several room broadcasts queue behind each other's socket writes and leave in
 * one engine.io flush per socket, as socket.io's broadcasts do; a turn per message let
 * each socket's write callback run in between and flushed every socket once per message.
 * On Redis, messages that arrive in one read of the subscriber are delivered in that turn.
 */
import { expect } from "chai";
import { MemoryMessageBus } from "../../lib/stores/memory-message-bus.js";
import type { BusMessage, ChatBusMessage } from "../../lib/stores/message-bus.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { idOf, waitFor } from "../support/chat-helpers.js";
import { sparkFor } from "../support/spark-of.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { randomUUID } from "node:crypto";

const chat = (n: number): ChatBusMessage => ({
  messageType: "chat", serverToken: "t", serverId: "s", message: n, sentAt: 0, connection: { id: "0", room: "r" },
});

describe("message bus: batched delivery (embedded store)", function () {
  it("delivers everything published in one turn in one turn, in order, never inside publish()", async function () {
    const bus = new MemoryMessageBus();
    await bus.start();
    await bus.subscribeRoom("r");
    const received: number[] = [];
    let seenAtFirstTick: number | undefined;
    bus.onMessage((message: BusMessage) => {
      received.push((message as ChatBusMessage).message as number);
      // A nextTick queued by the first delivery runs after the whole batch when it is one.
      if (received.length === 1) process.nextTick(() => (seenAtFirstTick = received.length));
    });
    const published = [1, 2, 3, 4, 5].map((n) => bus.publish(chat(n)));
    expect(received).to.deep.equal([]);
    await Promise.all(published);
    await waitFor(() => received.length === 5, 2000, "five deliveries");
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).to.deep.equal([1, 2, 3, 4, 5]);
    expect(seenAtFirstTick).to.equal(5);
    await bus.close();
  });

  it("a handler that publishes starts the next batch (no delivery inside the current one)", async function () {
    const bus = new MemoryMessageBus();
    await bus.start();
    await bus.subscribeRoom("r");
    const received: number[] = [];
    bus.onMessage((message: BusMessage) => {
      const n = (message as ChatBusMessage).message as number;
      received.push(n);
      if (n === 1) void bus.publish(chat(10));
    });
    await bus.publish(chat(1));
    await bus.publish(chat(2));
    await waitFor(() => received.length === 3, 2000, "three deliveries");
    expect(received).to.deep.equal([1, 2, 10]);
    await bus.close();
  });

});

for (const kind of ["memory", "redis"] as const) {
  describe(`room broadcasts made together leave together (${kind} store)`, function () {
    let redis: RedisServer | undefined;
    let ts: TestServer;
    let client: RawClient;
    before(async () => {
      if (kind === "redis") {
        redis = await startRedisServer();
        ts = await startTestServer({ redis: redis.url, redisPrefix: `ahws-batch-${randomUUID()}:` });
      } else ts = await startTestServer();
      client = await RawClient.open(ts.ws, ts.url);
    });
    after(async () => {
      client?.close();
      await ts?.close();
      await redis?.stop();
    });

    it("five broadcasts made together reach a member in order, in fewer flushes than messages", async function () {
      await client.request({ event: "roomAdd", room: "defaultRoom" });
      const connection = ts.ws.connections.get(await idOf(client))!;
      const engine = (sparkFor(connection)!.socket as { conn: { on(event: "flush", listener: (buffer: unknown[]) => void): void } }).conn;
      const flushes: number[] = [];
      engine.on("flush", (buffer) => flushes.push(buffer.length));
      const from = client.frames.length;
      await Promise.all([1, 2, 3, 4, 5].map((n) => ts.ws.chatRoom.broadcast({}, "defaultRoom", `m${n}`)));
      await waitFor(() => client.after(from, (f) => f.context === "user").length === 5, 5000, "five chat frames");
      expect(client.after(from, (f) => f.context === "user").map((f) => f.message)).to.deep.equal(["m1", "m2", "m3", "m4", "m5"]);
      // The first write goes out at once; the four behind it share the next flush.
      expect(flushes.length).to.be.at.most(2);
      expect(flushes.reduce((a, b) => a + b, 0)).to.equal(5);
    });
  });
}
