/**
 * Redis Cluster mode (README, "Redis Cluster"): 3 node processes on a real 3-master +
 * 3-replica cluster started by the test. Sharded pub/sub: a say reaches members on every
 * node, no classic publish crosses the cluster bus, the room's shard channel has one
 * subscriber per node with members, a room's keys and channel share one slot, and
 * roomView, cluster commands and the ghost-member sweep work across nodes.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { RawClient } from "../support/primus-client.js";
import { ClusterNode, killAll } from "../support/cluster.js";
import { startRedisCluster, type RedisClusterUnderTest } from "../support/redis-cluster.js";
import { joinedMember, remoteClientFactory, sleep, userFrames, waitFor } from "../support/chat-helpers.js";
import { actionheroWs, type ActionheroWs } from "../../lib/index.js";
import { busChannels } from "../../lib/stores/bus-channels.js";
import { roomStoreKeys } from "../../lib/stores/redis-room-store.js";
import { historyKeys } from "../../lib/stores/redis-room-history.js";

describe("Redis Cluster: 3 node processes on 3 masters + 3 replicas, sharded pub/sub", function () {
  this.timeout(90_000);
  let redis: RedisClusterUnderTest;
  let factory: { ws: ActionheroWs; close(): Promise<void> };
  let prefix: string;
  const nodes: ClusterNode[] = [];
  const clients: RawClient[] = [];

  const info = async (port: number, field: string): Promise<number> =>
    Number(new RegExp(`${field}:(\\d+)`).exec(await redis.cli(port, "CLUSTER", "INFO"))?.[1] ?? 0);
  const classicPublishes = async () => (await Promise.all(redis.servers.map((s) => info(s.port, "cluster_stats_messages_publish_sent")))).reduce((a, b) => a + b, 0);
  const shardSubscribers = async (channel: string) => Promise.all(redis.servers.map(async (s) =>
    Number((await redis.cli(s.port, "PUBSUB", "SHARDNUMSUB", channel)).split("\n")[1] ?? 0)));

  before(async function () {
    redis = await startRedisCluster(3);
    factory = await remoteClientFactory();
    prefix = `ahws-rc-${randomUUID().slice(0, 8)}:`;
    const common = { redis: redis.urls.join(","), prefix, heartbeatMs: 200, nodeTtlMs: 2000, rpcTimeoutMs: 2000, roomLingerMs: 500, subscriptionCheckMs: 500 };
    nodes.push(...await Promise.all(["rc-a", "rc-b", "rc-c"].map((id) => ClusterNode.start({ ...common, id }))));
  });

  after(async function () {
    for (const client of clients.splice(0)) client.close();
    await killAll(nodes);
    await factory?.close();
    await redis?.stop();
  });

  const member = (node: ClusterNode, room: string) => joinedMember(factory.ws, clients, node, room);

  it("a say on A reaches members on A, B and C once, over shard channels only", async function () {
    const [A, B, C] = nodes;
    const members = [await member(A, "defaultRoom"), await member(B, "defaultRoom"), await member(C, "defaultRoom")];
    const channel = "actionhero:room:{defaultRoom}";
    const subscribers = await shardSubscribers(channel);
    expect(subscribers.reduce((a, b) => a + b, 0), `SHARDNUMSUB per server: ${subscribers}`).to.equal(3);
    expect(subscribers.filter((n) => n > 0), "only the owner holds the shard channel").to.have.length(1);

    const classicBefore = await classicPublishes();
    const marks = members.map((m) => m.client.frames.length);
    for (let i = 0; i < 20; i++) await members[0].client.request({ event: "say", room: "defaultRoom", message: `hi ${i}` });
    for (const [i, m] of members.entries()) {
      await waitFor(() => userFrames(m.client, marks[i]).length >= 20, 10_000, `member ${i} to hear 20 says`);
    }
    await sleep(300);
    for (const [i, m] of members.entries()) {
      expect(userFrames(m.client, marks[i]).map((f) => f.message), `member ${i}, in order`).to.deep.equal(Array.from({ length: 20 }, (_, n) => `hi ${n}`));
    }
    expect(await classicPublishes(), "classic PUBLISH messages on the cluster bus").to.equal(classicBefore);
  });

  it("a room's member hash and shard channel share one slot; roomView and remote commands work", async function () {
    const [A, B, C] = nodes;
    const room = `lobby-${randomUUID().slice(0, 6)}`;
    expect((await A.debug("add", { room })).ok).to.equal(true);
    const onB = await member(B, room);
    const slot = async (key: string) => redis.cli(redis.servers[0].port, "CLUSTER", "KEYSLOT", key);
    expect(await slot(`${prefix}chatRoom:members:{${room}}`)).to.equal(await slot(`actionhero:room:{${room}}`));
    const status = await C.debug("roomStatus", { room });
    expect(Object.keys((status.result as { members: object }).members)).to.deep.equal([onB.id]);
    // C removes B's connection: the command reaches B through B's node channel
    const mark = onB.client.frames.length;
    expect(await C.debug("removeMember", { connectionId: onB.id, room })).to.deep.equal({ ok: true, result: true });
    expect(((await onB.client.request({ event: "detailsView" })).data as { rooms: string[] }).rooms).to.deep.equal([]);
    expect(userFrames(onB.client, mark)).to.have.length(0);
    expect((await A.debug("destroy", { room })).ok).to.equal(true);
  });

  it("a room whose name would break a hash tag (`}x`, `a}b`, `{x}`) keeps every key in one slot and works across nodes", async function () {
    const [A, B] = nodes;
    const slot = async (key: string) => redis.cli(redis.servers[0].port, "CLUSTER", "KEYSLOT", key);
    const channels = busChannels("actionhero", "per-room", true);
    const history = historyKeys(prefix);
    for (const room of [`}x-${randomUUID().slice(0, 4)}`, "}", `a}b-${randomUUID().slice(0, 4)}`, `{x}-${randomUUID().slice(0, 4)}`]) {
      const keys = [roomStoreKeys(prefix, true).members(room), channels.room(room), history.stream(room), history.meta(room)];
      const slots = await Promise.all(keys.map(slot));
      expect(new Set(slots).size, `slots of ${keys.join(", ")}: ${slots}`).to.equal(1);
      expect((await A.debug("add", { room })).ok, `add ${room}`).to.equal(true);
      const onA = await member(A, room);
      const onB = await member(B, room);
      const mark = onB.client.frames.length;
      expect((await onA.client.request({ event: "say", room, message: `in ${room}` })).status, `say in ${room}`).to.equal("OK");
      await waitFor(() => userFrames(onB.client, mark).some((f) => f.message === `in ${room}`), 5_000, `B to hear the say in ${room}`);
      const status = await B.debug("roomStatus", { room });
      expect(Object.keys((status.result as { members: object }).members).sort(), `members of ${room}`).to.deep.equal([onA.id, onB.id].sort());
    }
  });

  it("the self-check finds every room subscription live on every node", async function () {
    await member(nodes[1], "otherRoom");
    for (const node of nodes) {
      await waitFor(async () => (await node.state()).stats.subscriptionChecksClean >= 2, 10_000, `${node.id} to pass two self-checks`);
      expect((await node.state()).stats.subscriptionsRepaired, node.id).to.equal(0);
    }
  });

  it("a node process SIGKILLed has its members swept by the others, who announce their leave; starting rooms exist", async function () {
    const [A, B] = nodes;
    expect((await A.debug("roomStatus", { room: "otherRoom" })).ok, "the starting room otherRoom").to.equal(true);
    const doomed = await ClusterNode.start({ redis: redis.urls.join(","), prefix, heartbeatMs: 200, nodeTtlMs: 2000, rpcTimeoutMs: 2000, roomLingerMs: 500, subscriptionCheckMs: 500, id: "rc-doomed" });
    try {
      const ghost = await member(doomed, "otherRoom");
      const watcher = await member(A, "otherRoom");
      const mark = watcher.client.frames.length;
      await doomed.kill();
      const leaving = `I have left the room: ${ghost.id}`;
      await waitFor(() => userFrames(watcher.client, mark, leaving).length > 0, 15_000, "the ghost's leave announced");
      for (const node of [A, B]) {
        const members = Object.keys(((await node.debug("roomStatus", { room: "otherRoom" })).result as { members: object }).members);
        expect(members, `${node.id} roomView`).to.not.include(ghost.id);
      }
      await sleep(500);
      expect(userFrames(watcher.client, mark, leaving), "announced once").to.have.length(1);
    } finally {
      await killAll([doomed]);
    }
  });

  it("refuses what cannot work on a cluster, naming it: a prefix or channel with braces, the single channel", function () {
    const cluster = { cluster: { rootNodes: redis.urls.map((url) => ({ url })) } };
    expect(() => actionheroWs({ redis: cluster, redisPrefix: "a{b}:" })).to.throw(TypeError, /redisPrefix.*may not contain/);
    expect(() => actionheroWs({ redis: cluster, channel: "ch{x}" })).to.throw(TypeError, /channel.*may not contain/);
    expect(() => actionheroWs({ redis: cluster, channelMode: "single" })).to.throw(TypeError, /channelMode/);
    expect(() => actionheroWs({ redis: { cluster: { rootNodes: [] } } })).to.throw(TypeError, /rootNodes/);
  });
});
