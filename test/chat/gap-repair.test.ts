/**
 * Gap repair between nodes: messages that reached a room's history but never this node's
 * subscriber (published on a channel it does not hear, as pub/sub loses them while a
 * subscriber reconnects) are fetched from the history when the next message shows the jump,
 * and delivered in order before it. A gap the history no longer covers gives the room's
 * members here a room `resync` instead. After a subscriber reconnect the node checks each
 * room's tail at once, and the bus-wide `resync` notice is only sent with `history: false`.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import type { ApiFrame, ChatMessage } from "../../lib/client/ActionheroWebsocketClient.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import type { ChatBusMessage } from "../../lib/stores/message-bus.js";
import { startClientServer, waitFor, type Client, type ClientTestServer } from "../support/node-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startCutProxy, type CutProxy } from "../support/tcp-proxy.js";
import { sleep } from "../support/chat-helpers.js";
import type { ActionheroWsOptions } from "../../lib/index.js";
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
    return { a, b, lost, ...listen(client) };
  }

  /** What a client in defaultRoom hears: the says' numbers, room resyncs, bus-wide resyncs (at which say). */
  function listen(client: Client): { said: number[]; resyncs: string[]; busWide: number[] } {
    const said: number[] = [];
    const resyncs: string[] = [];
    const busWide: number[] = [];
    client.on("say", (m: ChatMessage) => said.push((m.message as { n: number }).n));
    client.on("resync", (room: string) => resyncs.push(room));
    client.on("api", (m: ApiFrame) => {
      if (m.event === "resync" && m.room === undefined) busWide.push(said.length);
    });
    return { said, resyncs, busWide };
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

  /** A (behind a cut proxy, so its subscriber can be cut) and B share a Redis; a client on A listens in defaultRoom. */
  async function cutSetup(options: ActionheroWsOptions, beforeJoin?: (b: ClientTestServer) => Promise<void>): Promise<{ a: ClientTestServer; b: ClientTestServer; proxy: CutProxy; client: Client; said: number[]; resyncs: string[]; busWide: number[] }> {
    const prefix = `s-${randomUUID()}:`;
    const proxy = await startCutProxy(redis.port);
    cleanup.push(() => proxy.close());
    const a = await startClientServer({ ...options, redis: `redis://127.0.0.1:${new URL(proxy.url).port}`, redisPrefix: prefix });
    cleanup.push(() => a.close());
    const b = await startClientServer({ ...options, redis: redis.url, redisPrefix: prefix });
    cleanup.push(() => b.close());
    await beforeJoin?.(b);
    const client = await a.connect();
    await client.roomAdd("defaultRoom");
    return { a, b, proxy, client, ...listen(client) };
  }

  it("a subscriber cut while says flow (default history): nothing lost, in order, and no resync notice of any kind", async function () {
    const { a, b, proxy, said, resyncs, busWide } = await cutSetup({});
    const total = 120;
    // about 25 says a second: the cut and the reconnect after it (well under 4 s) miss fewer than the 100 kept
    for (let n = 0; n < total; n++) {
      if (n === 30) proxy.cut(700);
      await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
      await sleep(40);
    }
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    // the last says may all have been missed: the tail is read at once, not when a next say shows the gap
    await waitFor(() => said.length >= total, 10_000, `${total} messages (got ${said.length}; room resyncs: ${resyncs.length})`);
    await sleep(300);
    expect(said).to.deep.equal(range(0, total));
    expect(resyncs, "room resync notices").to.deep.equal([]);
    expect(busWide, "bus-wide resync notices").to.deep.equal([]);
  });

  it("a subscriber cut with the history trimmed past the gap: the room's resync once, no bus-wide notice, then live ones", async function () {
    const { a, b, proxy, said, resyncs, busWide } = await cutSetup({ history: { size: 10 } });
    for (const n of range(0, 3)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.length === 3, 10_000, "the first 3");
    proxy.cut(1_000);
    for (const n of range(3, 30)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n }); // A hears none of these
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    await waitFor(() => resyncs.length >= 1, 10_000, "the room's resync, with no say after the reconnect");
    for (const n of range(33, 3)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    await waitFor(() => said.includes(35), 10_000, "the live ones");
    await sleep(300);
    expect(resyncs).to.deep.equal(["defaultRoom"]);
    expect(busWide, "bus-wide resync notices").to.deep.equal([]);
    expect(said).to.deep.equal([0, 1, 2, 33, 34, 35]);
  });

  it("a quiet room (said to before this node's member joined, silent since): a subscriber cut tells nobody to resync", async function () {
    // history from before anyone on A followed the room
    const { a, b, proxy, said, resyncs, busWide } = await cutSetup({}, async (speaker) => {
      for (const n of range(0, 3)) await speaker.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    });
    await sleep(300);
    proxy.cut(700);
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    await sleep(1_000);
    await b.ws.chatRoom.broadcast({}, "defaultRoom", { n: 3 });
    await waitFor(() => said.includes(3), 10_000, "the live one");
    await sleep(300);
    expect(resyncs, "room resync notices").to.deep.equal([]);
    expect(busWide, "bus-wide resync notices").to.deep.equal([]);
    expect(said, "only what was said after the join").to.deep.equal([3]);
  });

  it("a quiet room whose history went on while the subscriber was cut: the missed ones, then live ones, no notice", async function () {
    const { a, b, proxy, said, resyncs, busWide } = await cutSetup({});
    await sleep(300);
    proxy.cut(1_000);
    for (const n of range(0, 5)) await b.ws.chatRoom.broadcast({}, "defaultRoom", { n }); // A hears none of these live
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    await waitFor(() => said.length >= 5, 10_000, `the 5 missed ones from the history (got ${said.length})`);
    await b.ws.chatRoom.broadcast({}, "defaultRoom", { n: 5 });
    await waitFor(() => said.includes(5), 10_000, "the live one");
    await sleep(300);
    expect(said).to.deep.equal(range(0, 6));
    expect(resyncs).to.deep.equal([]);
    expect(busWide).to.deep.equal([]);
  });

  it("`history: false`: a subscriber cut still tells every client with the bus-wide resync notice (Actionhero's way)", async function () {
    const { a, b, proxy, client, said, busWide } = await cutSetup({ history: false });
    const first = new Promise<ChatMessage>((resolve) => client.once("say", resolve));
    await b.ws.chatRoom.broadcast({}, "defaultRoom", { n: 0 });
    const payload = await first;
    expect(payload).to.not.have.property("offset");
    expect(payload).to.not.have.property("epoch");
    proxy.cut(500);
    await waitFor(() => a.ws.stats().pubsubReconnects >= 1, 15_000, "A's subscriber back");
    await waitFor(() => busWide.length === 1, 5_000, "the bus-wide resync notice");
    expect(said).to.deep.equal([0]);
  });
});
