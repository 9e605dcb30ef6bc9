/**
 * Missed-message recovery through the real generated client (README, "History and
 * recovery"): the client's link is cut (a TCP proxy drops it and refuses it for 2 s) while
 * the room keeps talking; after the reconnect every message arrives once, in order, the
 * missed ones before the live ones. When the history no longer covers the gap, or the node
 * restarted and lost it, the client gets `resync` once instead of a silent gap.
 */
import { expect } from "chai";
import type { ChatMessage } from "../../lib/client/ActionheroWebsocketClient.js";
import type { ActionheroWsOptions } from "../../lib/index.js";
import { startCutProxy, type CutProxy } from "../support/tcp-proxy.js";
import { FAST_RECONNECT, startClientServer, waitFor, withTimeout, type Client, type ClientTestServer } from "../support/node-client.js";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CUT_MS = 2_000;

/** Every `say` the client's app sees, and its `resync`/`recovered` events. */
function watch(client: Client): { said: number[]; resyncs: string[]; recovered: number[] } {
  const seen = { said: [] as number[], resyncs: [] as string[], recovered: [] as number[] };
  client.on("say", (message: ChatMessage) => seen.said.push(Number((message.message as { n: number }).n)));
  client.on("resync", (room: string) => seen.resyncs.push(room));
  client.on("recovered", (_room: string, count: number) => seen.recovered.push(count));
  return seen;
}

/** Broadcasts n..n+count-1 from the server, spread over `ms`. */
async function talk(ts: ClientTestServer, from: number, count: number, ms: number): Promise<void> {
  for (let n = from; n < from + count; n++) {
    await ts.ws.chatRoom.broadcast({}, "defaultRoom", { n });
    if (n % 25 === 0) await sleep((ms * 25) / count);
  }
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe("room history: recovery after a cut link (generated client)", function () {
  this.timeout(60_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  async function setup(options: ActionheroWsOptions, transport: "websocket" | "polling"): Promise<{ ts: ClientTestServer; proxy: CutProxy; client: Client }> {
    const ts = await startClientServer(options);
    cleanup.push(() => ts.close());
    const proxy = await startCutProxy(Number(new URL(ts.url).port));
    cleanup.push(() => proxy.close());
    const client = ts.create({ url: proxy.url, reconnect: FAST_RECONNECT, websockets: transport === "websocket" });
    cleanup.push(() => client.disconnect());
    await withTimeout(client.connect(), 5_000, "connect");
    await client.roomAdd("defaultRoom");
    return { ts, proxy, client };
  }

  for (const transport of ["websocket", "polling"] as const) {
    it(`${transport}: 500 messages said during a 2 s cut arrive once each, in order, before the live ones`, async function () {
      const { ts, proxy, client } = await setup({ history: { size: 1000 } }, transport);
      const seen = watch(client);
      await talk(ts, 0, 50, 200);
      await waitFor(() => seen.said.length === 50, 10_000, "the first 50 live");
      proxy.cut(CUT_MS);
      await talk(ts, 50, 500, CUT_MS - 500);
      // live messages keep coming while the client reconnects and recovers
      const reconnected = new Promise((resolve) => client.once("reconnect", resolve));
      await talk(ts, 550, 100, CUT_MS + 500);
      await withTimeout(reconnected, 15_000, "reconnect");
      await talk(ts, 650, 50, 200);
      await waitFor(() => seen.said.length >= 700, 15_000, `700 messages (got ${seen.said.length})`);
      await sleep(200);
      expect(seen.said).to.deep.equal(range(0, 700));
      expect(seen.resyncs).to.deep.equal([]);
      expect(seen.recovered).to.have.length(1);
      expect(seen.recovered[0]).to.be.above(0);
    });
  }

  it("history trimmed past the gap: `resync` once, then live messages flow again", async function () {
    const { ts, proxy, client } = await setup({ history: { size: 20 } }, "websocket");
    const seen = watch(client);
    await talk(ts, 0, 10, 50);
    await waitFor(() => seen.said.length === 10, 10_000, "the first 10");
    proxy.cut(CUT_MS);
    await talk(ts, 10, 100, CUT_MS - 500);
    await withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 15_000, "reconnect");
    await talk(ts, 110, 5, 50);
    await waitFor(() => seen.said.includes(114), 10_000, "live after the resync");
    expect(seen.resyncs).to.deep.equal(["defaultRoom"]);
    expect(seen.said.slice(0, 10)).to.deep.equal(range(0, 10));
    expect(seen.said.slice(-5)).to.deep.equal(range(110, 5));
    expect(seen.said.some((n) => n >= 10 && n < 110), "no part of a gap passed off as complete").to.equal(false);
  });

  it("memory store: a node restart loses the history, so the client gets `resync`, never a silent gap", async function () {
    const port = await freePort();
    const options = { history: true };
    let ts = await startClientServer(options, port);
    const client = ts.create({ reconnect: FAST_RECONNECT });
    cleanup.push(() => client.disconnect());
    await withTimeout(client.connect(), 5_000, "connect");
    await client.roomAdd("defaultRoom");
    const seen = watch(client);
    await talk(ts, 0, 5, 10);
    await waitFor(() => seen.said.length === 5, 10_000, "the first 5");
    await ts.ws.close({ timeoutMs: 2_000 });
    ts.server.closeAllConnections();
    await new Promise<void>((resolve) => ts.server.close(() => resolve()));
    ts = await startClientServer(options, port);
    cleanup.push(() => ts.close());
    await talk(ts, 5, 3, 10); // said on the new node before the client is back: nobody keeps them for it
    await withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 15_000, "reconnect");
    await talk(ts, 8, 2, 10);
    await waitFor(() => seen.said.includes(9), 10_000, "live after the restart");
    expect(seen.resyncs).to.deep.equal(["defaultRoom"]);
    expect(seen.said).to.deep.equal([0, 1, 2, 3, 4, 8, 9]);
  });

  it("a room resync notice: the room's next message is taken whatever its offset (a failover may number them again)", async function () {
    const { ts, client } = await setup({}, "websocket");
    const seen = watch(client);
    let epoch = "";
    client.on("say", (message: ChatMessage) => (epoch = String(message.epoch)));
    await talk(ts, 0, 5, 10);
    await waitFor(() => seen.said.length === 5, 10_000, "the first 5");
    const connection = ts.ws.connections.get(client.id!)!;
    const numbered = (n: number, offset: number) => ({ context: "user", room: "defaultRoom", from: "0", message: { n }, sentAt: Date.now(), offset, epoch });
    connection.sendMessage(numbered(100, 3)); // an offset already seen: a duplicate
    connection.sendMessage({ context: "api", event: "resync", room: "defaultRoom", message: "messages of this room were lost and cannot be recovered" });
    for (const [n, offset] of [[101, 3], [102, 4], [103, 4]]) connection.sendMessage(numbered(n, offset));
    await waitFor(() => seen.said.includes(102), 5_000, "the messages after the notice");
    await sleep(200);
    expect(seen.resyncs).to.deep.equal(["defaultRoom"]);
    expect(seen.said).to.deep.equal([...range(0, 5), 101, 102]);
  });

  describe("Redis store", function () {
    let redis: RedisServer;
    before(async function () {
      redis = await startRedisServer({ own: true });
    });
    after(async function () {
      await redis?.stop();
    });

    it("a node restart: the client, moved to the other node, recovers from the shared history", async function () {
      const options = { redis: redis.url, history: true, redisPrefix: `p${Date.now()}:` };
      const a = await startClientServer(options);
      cleanup.push(() => a.close());
      const b = await startClientServer(options);
      cleanup.push(() => b.close());
      const proxy = await startCutProxy(Number(new URL(a.url).port));
      cleanup.push(() => proxy.close());
      const client = a.create({ url: proxy.url, reconnect: FAST_RECONNECT });
      cleanup.push(() => client.disconnect());
      await withTimeout(client.connect(), 5_000, "connect");
      await client.roomAdd("defaultRoom");
      const seen = watch(client);
      await talk(b, 0, 20, 50);
      await waitFor(() => seen.said.length === 20, 10_000, "the first 20");
      // node A goes away; the balancer (the proxy) sends the client to B
      proxy.target = Number(new URL(b.url).port);
      proxy.cut(500);
      await a.ws.close({ timeoutMs: 2_000 });
      await talk(b, 20, 100, 300);
      await withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 15_000, "reconnect");
      await talk(b, 120, 10, 50);
      await waitFor(() => seen.said.length >= 130, 15_000, `130 messages (got ${seen.said.length})`);
      expect(seen.said).to.deep.equal(range(0, 130));
      expect(seen.resyncs).to.deep.equal([]);
    });

    it("the room's history evicted during the cut: `resync` once", async function () {
      const prefix = `f${Date.now()}:`;
      const { ts, proxy, client } = await setup({ redis: redis.url, history: true, redisPrefix: prefix }, "websocket");
      const seen = watch(client);
      await talk(ts, 0, 5, 10);
      await waitFor(() => seen.said.length === 5, 10_000, "the first 5");
      proxy.cut(1_000);
      await talk(ts, 5, 5, 10);
      const { createClient } = await import("redis");
      const admin = createClient({ url: redis.url });
      await admin.connect();
      // what eviction (or a FLUSHALL, which the history contract test runs) does to the room's history
      await admin.del([`${prefix}chatRoom:history:{defaultRoom}`, `${prefix}chatRoom:historyMeta:{defaultRoom}`]);
      await admin.close();
      await talk(ts, 10, 5, 10);
      await withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 15_000, "reconnect");
      await talk(ts, 15, 2, 10);
      await waitFor(() => seen.said.includes(16), 10_000, "live after the resync");
      expect(seen.resyncs).to.deep.equal(["defaultRoom"]);
      expect(seen.said).to.deep.equal([0, 1, 2, 3, 4, 15, 16]);
    });
  });
});
