/**
 * Per-room channels on one standalone Redis (README, "Running several nodes"): 4 node
 * processes with members in 25 of 100 rooms each. A node receives only its own rooms'
 * messages (counted in stats().busMessagesReceived), each room channel has exactly the
 * subscribers of the nodes with members there, a joiner answered by roomAdd misses nothing
 * said after the answer, and a room is unsubscribed only after the linger.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { RawClient } from "../support/primus-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { ClusterNode, killAll } from "../support/cluster.js";
import { remoteClientFactory, sleep, userFrames, waitFor } from "../support/chat-helpers.js";
import type { ActionheroWs } from "../../lib/index.js";

const ROOMS = 100;
const ROUNDS = 3;
const LINGER_MS = 1500;

describe("per-room channels: 4 node processes x 100 rooms on one Redis", function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let raw: ReturnType<typeof createClient>;
  let factory: { ws: ActionheroWs; close(): Promise<void> };
  const nodes: ClusterNode[] = [];
  const clients: RawClient[] = [];
  const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
  const channelOf = (room: string) => `actionhero:room:${room}`;

  before(async function () {
    redis = await startRedisServer();
    raw = createClient({ url: redis.url });
    raw.on("error", () => undefined);
    await raw.connect();
    factory = await remoteClientFactory();
    const prefix = `ahws-per-room-${randomUUID()}:`;
    // the self-check's probes would count as received messages: out of the way here
    const common = { redis: redis.url, prefix, roomLingerMs: LINGER_MS, subscriptionCheckMs: 600_000 };
    nodes.push(...await Promise.all(["n0", "n1", "n2", "n3"].map((id) => ClusterNode.start({ ...common, id }))));
    for (const room of rooms) expect((await nodes[0].debug("add", { room })).ok).to.equal(true);
  });

  after(async function () {
    for (const client of clients.splice(0)) client.close();
    await killAll(nodes);
    await raw?.close();
    await factory?.close();
    await redis?.stop();
  });

  it("each node receives only its rooms' messages, and every member gets each one once", async function () {
    // node i has one client in rooms i, i+4, i+8, ...
    const members = await Promise.all(nodes.map(async (node, i) => {
      const client = await RawClient.open(factory.ws, node.url);
      clients.push(client);
      const mine = rooms.filter((_, r) => r % nodes.length === i);
      for (const room of mine) expect((await client.request({ event: "roomAdd", room })).data).to.equal(true);
      return { client, mine };
    }));
    for (const room of rooms) {
      expect(await raw.pubSubNumSub([channelOf(room)]), room).to.deep.equal({ [channelOf(room)]: 1 });
    }
    const before = await Promise.all(nodes.map(async (node) => (await node.state()).stats.busMessagesReceived));
    const marks = members.map((m) => m.client.frames.length);
    for (let round = 0; round < ROUNDS; round++) {
      for (const { client, mine } of members) {
        for (const room of mine) await client.request({ event: "say", room, message: `${room}#${round}` });
      }
    }
    for (const [i, { client, mine }] of members.entries()) {
      await waitFor(() => userFrames(client, marks[i]).length >= mine.length * ROUNDS, 10_000, `node ${i}'s member to hear its rooms`);
    }
    await sleep(300);
    for (const [i, { client, mine }] of members.entries()) {
      const got = userFrames(client, marks[i]).map((f) => String(f.message)).sort();
      expect(got).to.deep.equal(mine.flatMap((room) => Array.from({ length: ROUNDS }, (_, r) => `${room}#${r}`)).sort());
    }
    const after = await Promise.all(nodes.map(async (node) => (await node.state()).stats));
    for (const [i, stats] of after.entries()) {
      // one channel for all would have made it ROOMS * ROUNDS on every node
      expect(stats.busMessagesReceived - before[i], `node ${i} received`).to.equal((ROOMS / nodes.length) * ROUNDS);
      expect(stats.roomSubscriptions).to.equal(ROOMS / nodes.length);
    }
  });

  it("a member answered by roomAdd hears the very next message, from its own node or another", async function () {
    const speaker = await RawClient.open(factory.ws, nodes[0].url);
    clients.push(speaker);
    for (let i = 0; i < 20; i++) {
      const room = `fresh-${randomUUID().slice(0, 8)}`;
      expect((await nodes[0].debug("add", { room })).ok).to.equal(true);
      expect((await speaker.request({ event: "roomAdd", room })).data).to.equal(true);
      // a node with no member in the room yet: this join makes it SUBSCRIBE
      const joiner = await RawClient.open(factory.ws, nodes[1 + (i % 3)].url);
      clients.push(joiner);
      const mark = joiner.frames.length;
      expect((await joiner.request({ event: "roomAdd", room })).data).to.equal(true);
      // no wait: both are sent the moment the join is answered
      joiner.send({ event: "say", room, message: `own ${i}` });
      speaker.send({ event: "say", room, message: `other ${i}` });
      await joiner.next((f) => f.message === `own ${i}`, 5000, mark);
      await joiner.next((f) => f.message === `other ${i}`, 5000, mark);
      joiner.close();
    }
  });

  it("a room stays subscribed for the linger after its last local member left, then is unsubscribed", async function () {
    const room = rooms[1];
    const channel = channelOf(room);
    const subscribed = (await nodes[0].state()).stats.roomSubscriptions;
    const extra = await RawClient.open(factory.ws, nodes[0].url);
    clients.push(extra);
    expect((await extra.request({ event: "roomAdd", room })).data).to.equal(true);
    expect(await raw.pubSubNumSub([channel])).to.deep.equal({ [channel]: 2 });
    const left = Date.now();
    expect((await extra.request({ event: "roomLeave", room })).data).to.equal(true);
    expect(await raw.pubSubNumSub([channel]), "still subscribed during the linger").to.deep.equal({ [channel]: 2 });
    await waitFor(async () => (await raw.pubSubNumSub([channel]))[channel] === 1, LINGER_MS + 5000, "the linger to end");
    expect(Date.now() - left).to.be.at.least(LINGER_MS - 50);
    expect((await nodes[0].state()).stats.roomSubscriptions).to.equal(subscribed);
  });
});
