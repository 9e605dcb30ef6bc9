/**
 * roomAdd is answered only once this node's subscription to the room is confirmed: with
 * the joiner's node reaching Redis through a link that delays its SUBSCRIBE (a real Redis,
 * a real TCP forwarder), a message said the moment the join is answered still arrives.
 * Answering before the SUBSCRIBE reply loses it.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { RawClient } from "../support/primus-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { startSlowSubscribeProxy, type SlowSubscribeProxy } from "../support/tcp-proxy.js";

const DELAY_MS = 300;

describe("chat: a join is answered after its subscription is confirmed", function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let proxy: SlowSubscribeProxy;
  let a: TestServer;
  let b: TestServer;
  const clients: RawClient[] = [];

  before(async function () {
    redis = await startRedisServer({ own: true });
    proxy = await startSlowSubscribeProxy(redis, DELAY_MS);
    const common = { redisPrefix: `join-${randomUUID()}:`, roomLingerMs: 0 };
    a = await startTestServer({ ...common, redis: redis.url });
    b = await startTestServer({ ...common, redis: proxy.url });
  });

  after(async function () {
    for (const client of clients) client.close();
    await Promise.all([a?.close(), b?.close()]);
    await proxy?.close();
    await redis?.stop();
  });

  it("the first member on a node hears what is said the moment roomAdd answers", async function () {
    const speaker = await RawClient.open(a.ws, a.url);
    clients.push(speaker);
    for (let i = 0; i < 3; i++) {
      const room = `fresh-${i}`;
      await a.ws.chatRoom.add(room);
      expect((await speaker.request({ event: "roomAdd", room })).data).to.equal(true);
      const joiner = await RawClient.open(b.ws, b.url);
      clients.push(joiner);
      const mark = joiner.frames.length;
      const started = Date.now();
      expect((await joiner.request({ event: "roomAdd", room })).data).to.equal(true);
      expect(Date.now() - started, "the answer waited for the delayed SUBSCRIBE").to.be.at.least(DELAY_MS - 20);
      speaker.send({ event: "say", room, message: `said at once ${i}` });
      await joiner.next((f) => f.message === `said at once ${i}`, 5000, mark);
      joiner.close();
    }
  });
});
