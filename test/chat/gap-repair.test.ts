/**
 * Gap repair between nodes: messages that reached a room's history but never this node's
 * subscriber (published on a channel it does not hear, as pub/sub loses them while a
 * subscriber reconnects) are fetched from the history when the next message shows the jump,
 * and delivered in order before it. A gap the history no longer covers gives the room's
 * members here a room `resync` instead.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import type { ChatMessage } from "../../lib/client/ActionheroWebsocketClient.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import type { ChatBusMessage } from "../../lib/stores/message-bus.js";
import { startClientServer, waitFor, type ClientTestServer } from "../support/node-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startCutProxy } from "../support/tcp-proxy.js";
import { busOptions } from "../support/store-options.js";

describe("room history: gap repair between nodes", function () {
  this.timeout(30_000);
  let redis: RedisServer;
  const cleanup: Array<() => unknown> = [];
  before(async function () {
    redis = await startRedisServer();
  });
  after(async function () {
    await redis?.stop();
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  async function setup(size: number): Promise<{ a: ClientTestServer; b: ClientTestServer; lost: RedisMessageBus; said: number[]; resyncs: string[] }> {
    const prefix = `g-${randomUUID()}:`;
    const options = { redis: redis.url, redisPrefix: prefix, history: { size } };
    const a = await startClientServer(options);
    cleanup.push(() => a.close());
    const b = await startClientServer(options);
    cleanup.push(() => b.close());
    // writes the same rooms' history but publishes where no node listens: what pub/sub loses
    const lost = new RedisMessageBus(busOptions(redis.url, { channel: `nowhere-${randomUUID()}`, prefix, history: { size, ttlMs: 60_000, metaTtlMs: 60_000 } }));
    await lost.start();
    cleanup.push(() => lost.close());
    const client = await a.connect();
    await client.roomAdd("defaultRoom");
    const said: number[] = [];
    const resyncs: string[] = [];
    client.on("say", (m: ChatMessage) => said.push((m.message as { n: number }).n));
    client.on("resync", (room: string) => resyncs.push(room));
    return { a, b, lost, said, resyncs };
  }

  const chat = (n: number): ChatBusMessage => ({ messageType: "chat", serverToken: "change-me", serverId: "elsewhere", message: { n }, sentAt: Date.now(), connection: { id: "0", room: "defaultRoom" } });
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  it("a node that missed messages fills the gap from the history, in order, before the next live one", async function () {
    const { b, lost, said, resyncs } = await setup(100);
    for (const n of range(0, 5)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length === 5, 10_000, "the first 5");
    for (const n of range(5, 30)) await lost.publish(chat(n));
    for (const n of range(35, 5)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length >= 40, 10_000, `40 messages (got ${said.length})`);
    expect(said).to.deep.equal(range(0, 40));
    expect(resyncs).to.deep.equal([]);
  });

  it("a gap the history no longer covers: the room's members get `resync` once, then live ones", async function () {
    const { b, lost, said, resyncs } = await setup(10);
    for (const n of range(0, 3)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length === 3, 10_000, "the first 3");
    for (const n of range(3, 30)) await lost.publish(chat(n));
    for (const n of range(33, 3)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.includes(35), 10_000, "the live ones");
    expect(resyncs).to.deep.equal(["defaultRoom"]);
    expect(said).to.deep.equal([0, 1, 2, 33, 34, 35]);
  });

  it("a node whose Redis link (and so its subscriber) was cut fills the gap once it is back", async function () {
    const prefix = `c-${randomUUID()}:`;
    const proxy = await startCutProxy(redis.port);
    cleanup.push(() => proxy.close());
    const a = await startClientServer({ redis: `redis://127.0.0.1:${new URL(proxy.url).port}`, redisPrefix: prefix, history: true });
    cleanup.push(() => a.close());
    const b = await startClientServer({ redis: redis.url, redisPrefix: prefix, history: true });
    cleanup.push(() => b.close());
    const client = await a.connect();
    await client.roomAdd("defaultRoom");
    const said: number[] = [];
    const resyncs: string[] = [];
    client.on("say", (m: ChatMessage) => said.push((m.message as { n: number }).n));
    client.on("resync", (room: string) => resyncs.push(room));
    for (const n of range(0, 5)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length === 5, 10_000, "the first 5");
    proxy.cut(1_000);
    for (const n of range(5, 20)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n }); // A hears none of these
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    for (const n of range(25, 5)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length >= 30, 10_000, `30 messages (got ${said.length})`);
    expect(said).to.deep.equal(range(0, 30));
    expect(resyncs).to.deep.equal([]);
  });
});
