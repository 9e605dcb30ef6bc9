/**
 * Two node-redis cluster defects the Redis Cluster bus works around (README, "Redis
 * Cluster"), each shown on a real 3-master + 3-replica cluster so that the test fails
 * without its workaround:
 * - one SSUBSCRIBE names channels of one slot only (CROSSSLOT): a node's own channel and the
 *   all-nodes channel sit in different slots, so the bus subscribes one channel per call;
 * - node-redis refreshes its topology 5 s into a reconnection by default, which sets the
 *   outage after a failover; our cluster client does it after 1 s.
 * (The MOVED re-subscription and the per-master connection churn are shown in
 * test/cluster/redis-cluster-faults.test.ts.)
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createCluster } from "redis";
import { RedisClusterMessageBus } from "../../lib/stores/redis-cluster-message-bus.js";
import type { BusMessage } from "../../lib/stores/message-bus.js";
import { startRedisCluster, type RedisClusterUnderTest } from "../support/redis-cluster.js";
import { clusterNodes } from "../support/cluster-slots.js";
import { sleep, waitFor } from "../support/chat-helpers.js";

describe("Redis Cluster bus: node-redis defects worked around", function () {
  this.timeout(90_000);
  let redis: RedisClusterUnderTest;
  let bus: RedisClusterMessageBus | undefined;
  const nodeId = `n-${randomUUID().slice(0, 8)}`;

  before(async function () {
    redis = await startRedisCluster(3);
  });

  after(async function () {
    await bus?.close();
    await redis?.stop();
  });

  const rootNodes = () => redis.urls.map((url) => ({ url }));
  const slot = (key: string) => redis.cli(redis.servers[0].port, "CLUSTER", "KEYSLOT", key);

  it("subscribes its node channel and the all-nodes channel (two slots) one per call; one SSUBSCRIBE of both is CROSSSLOT", async function () {
    bus = new RedisClusterMessageBus({
      redis: { cluster: { rootNodes: rootNodes() } },
      channel: "actionhero", nodeId, startTimeoutMs: 20_000, commandTimeoutMs: 2_000, chatDeliveryWindowMs: 1_500,
    });
    const [own, all] = [bus.channels.node(nodeId), bus.channels.all];
    expect(await slot(own), "the two channels' slots").to.not.equal(await slot(all));

    const raw = createCluster({ rootNodes: rootNodes() });
    await raw.connect();
    try {
      let refused = "";
      await raw.sSubscribe([own, all], () => undefined).catch((error: Error) => (refused = error.message));
      expect(refused, "node-redis sending both in one SSUBSCRIBE").to.match(/CROSSSLOT/);
    } finally {
      await raw.close().catch(() => raw.destroy());
    }

    await bus.start();
    const got: string[] = [];
    bus.onMessage((message: BusMessage) => {
      if (message.messageType === "do") got.push(message.method);
    });
    const command = (method: string): BusMessage => ({ messageType: "do", serverToken: "t", serverId: "other", messageId: randomUUID(), method, args: [] });
    await bus.publish(command("to-this-node"), nodeId);
    await bus.publish(command("to-every-node"));
    await waitFor(() => got.length === 2, 5_000, "both commands");
    expect(got.sort()).to.deep.equal(["to-every-node", "to-this-node"]);
  });

  it("asks the cluster for its topology about 1 s into a reconnection (node-redis' default waits 5 s)", async function () {
    expect(bus?.ready, "the bus of the test before").to.equal(true);
    const masters = (await clusterNodes(redis)).filter((n) => n.master && !n.failed);
    const victim = masters[masters.length - 1];
    const survivors = () => redis.servers.filter((s) => s.port !== victim.port);
    const topologyQueries = async () => {
      let calls = 0;
      for (const server of survivors()) {
        const stats = await redis.cli(server.port, "INFO", "commandstats");
        calls += Number(/cmdstat_cluster\|slots:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      }
      return calls;
    };
    const before = await topologyQueries();
    await redis.kill(victim.port);
    // 2.5 s: well past our 1 s, well before node-redis' 5 s
    await sleep(2_500);
    expect(await topologyQueries() - before, "CLUSTER SLOTS asked of the surviving nodes within 2.5 s of the crash").to.be.greaterThan(0);
  });
});
