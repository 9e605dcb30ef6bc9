/**
 * Redis Cluster faults (issue 15, README "Redis Cluster"), on one real 3-master + 3-replica
 * cluster for the whole file, while says flow at 50/s: the room's slot moved by hand in both
 * orders (source learns first, target learns first), then SIGKILL of the room's master.
 * Also: join/leave churn opens no pub/sub connection per pair (issue 15, defect 2).
 * Node C runs without the self-check, so its rooms recover only through the bus's own
 * handling (the MOVED re-subscription workaround, node-redis' re-subscription after a
 * failover); A and B run it every 500 ms and must find everything live afterwards.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { RawClient, type Frame } from "../support/primus-client.js";
import { ClusterNode, killAll } from "../support/cluster.js";
import { startRedisCluster, type RedisClusterUnderTest } from "../support/redis-cluster.js";
import { clusterNodes, moveSlot, ownerOf, slotOf } from "../support/cluster-slots.js";
import { joinedMember, remoteClientFactory, sleep, waitFor } from "../support/chat-helpers.js";
import type { ActionheroWs } from "../../lib/index.js";

const SAY_EVERY_MS = 20;
/** the bound after a slot move, and after a failover on top of its own time */
const RESUME_AFTER_MOVE_MS = 1_000;
const RESUME_AFTER_FAILOVER_MS = 3_000;

/** Says `<tag> <seq>` every SAY_EVERY_MS; `sent[seq]` is when; `answeredOk()` the says the server accepted. */
function sayStream(sender: RawClient, room: string, tag: string): { sent: number[]; stop(): void; answeredOk(): number[] } {
  const sent: number[] = [];
  const mark = sender.frames.length;
  const timer = setInterval(() => {
    sent.push(Date.now());
    sender.send({ event: "say", room, message: `${tag} ${sent.length - 1}`, messageId: `${tag}:${sent.length - 1}` });
  }, SAY_EVERY_MS);
  const answeredOk = () => sender.after(mark, (f) => f.context === "response" && f.status === "OK" && typeof f.messageId === "string" && f.messageId.startsWith(`${tag}:`))
    .map((f) => Number((f.messageId as string).slice(tag.length + 1)));
  return { sent, stop: () => clearInterval(timer), answeredOk };
}

/** How many times each `<tag> <seq>` reached `client`. */
function heard(client: RawClient, tag: string): Map<number, number> {
  const counts = new Map<number, number>();
  client.socket.on("data", (frame: Frame) => {
    if (frame?.context !== "user" || typeof frame.message !== "string" || !frame.message.startsWith(`${tag} `)) return;
    const seq = Number(frame.message.slice(tag.length + 1));
    counts.set(seq, (counts.get(seq) ?? 0) + 1);
  });
  return counts;
}

/** No says heard twice, and every say sent at or after `from` heard. */
function expectDelivered(counts: Map<number, number>, sent: number[], from: number, who: string): void {
  const twice = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq);
  expect(twice, `${who}: says heard more than once`).to.deep.equal([]);
  const missing = sent.map((at, seq) => ({ at, seq })).filter(({ at, seq }) => at >= from && !counts.has(seq)).map(({ seq }) => seq);
  expect(sent.filter((at) => at >= from).length, `${who}: says sent after the bound`).to.be.greaterThan(20);
  expect(missing, `${who}: says sent after the bound but never heard (of ${sent.length})`).to.deep.equal([]);
}

describe("Redis Cluster faults: slot moves in both orders and a master's SIGKILL while says flow", function () {
  this.timeout(120_000);
  let redis: RedisClusterUnderTest;
  let factory: { ws: ActionheroWs; close(): Promise<void> };
  let prefix: string;
  const nodes: ClusterNode[] = [];
  const clients: RawClient[] = [];

  before(async function () {
    redis = await startRedisCluster(3);
    factory = await remoteClientFactory();
    prefix = `ahws-rcf-${randomUUID().slice(0, 8)}:`;
    const common = { redis: redis.urls.join(","), prefix, heartbeatMs: 200, nodeTtlMs: 2000, rpcTimeoutMs: 2000, roomLingerMs: 500 };
    nodes.push(...await Promise.all([
      ClusterNode.start({ ...common, id: "f-a", subscriptionCheckMs: 500 }),
      ClusterNode.start({ ...common, id: "f-b", subscriptionCheckMs: 500 }),
      ClusterNode.start({ ...common, id: "f-c", subscriptionCheckMs: 3_600_000 }),
    ]));
  });

  after(async function () {
    for (const client of clients.splice(0)) client.close();
    await killAll(nodes);
    await factory?.close();
    await redis?.stop();
  });

  const member = (node: ClusterNode, room: string) => joinedMember(factory.ws, clients, node, room);

  /** A new room (created on A) with a sender on A and listeners on B and C. */
  async function roomWithMembers(room: string) {
    const [A, B, C] = nodes;
    expect((await A.debug("add", { room })).ok).to.equal(true);
    const sender = await member(A, room);
    const listeners = [await member(B, room), await member(C, room)];
    return { sender, listeners, ids: [sender.id, ...listeners.map((l) => l.id)].sort() };
  }

  async function membersOf(room: string): Promise<string[]> {
    const status = await nodes[0].debug("roomStatus", { room });
    return Object.keys((status.result as { members: object }).members).sort();
  }

  it("join/leave churn opens no pub/sub connection per pair on the room's master (the linger keeps it)", async function () {
    const churner = await ClusterNode.start({ redis: redis.urls.join(","), prefix, heartbeatMs: 200, nodeTtlMs: 2000, rpcTimeoutMs: 2000, roomLingerMs: 2000, subscriptionCheckMs: 3_600_000, id: "f-churn" });
    nodes.push(churner);
    // a room on a master that holds none of the node's own channels, which would keep a connection open anyway
    const anchors = new Set(await Promise.all(["actionhero:node:{f-churn}", "actionhero:nodes"].map(async (c) => (await ownerOf(redis, await slotOf(redis, c))).id)));
    let room = "";
    for (let i = 0; i < 200 && !room; i++) {
      const candidate = `churn-${i}`;
      if (!anchors.has((await ownerOf(redis, await slotOf(redis, candidate))).id)) room = candidate;
    }
    expect(room, "a room on a master without the node's channels").to.not.equal("");
    const master = await ownerOf(redis, await slotOf(redis, room));
    const accepted = async () => Number(/total_connections_received:(\d+)/.exec(await redis.cli(master.port, "INFO", "stats"))?.[1]);
    expect((await nodes[0].debug("add", { room })).ok).to.equal(true);
    const client = await RawClient.open(factory.ws, churner.url);
    clients.push(client);
    expect((await client.request({ event: "roomAdd", room })).data).to.equal(true);
    expect((await client.request({ event: "roomLeave", room })).data).to.equal(true);
    const before = await accepted();
    for (let pair = 0; pair < 10; pair++) {
      expect((await client.request({ event: "roomAdd", room })).data).to.equal(true);
      expect((await client.request({ event: "roomLeave", room })).data).to.equal(true);
      await sleep(50);
    }
    // redis-cli's own connection for each INFO counts once (11 with roomLingerMs: 0)
    expect(await accepted() - before, `connections accepted by ${master.port} during 10 join/leave pairs`).to.be.at.most(1);
  });

  for (const order of ["source-first", "target-first"] as const) {
    it(`moving the room's slot (${order}): deliveries resume within 1 s, no duplicates, members intact`, async function () {
      const room = `move-${order}-${randomUUID().slice(0, 6)}`;
      const { sender, listeners, ids } = await roomWithMembers(room);
      const slot = await slotOf(redis, room);
      const source = await ownerOf(redis, slot);
      const target = (await clusterNodes(redis)).find((n) => n.master && !n.failed && n.id !== source.id)!;
      const counts = listeners.map((l) => heard(l.client, room));
      const says = sayStream(sender.client, room, room);
      try {
        await sleep(800);
        // 300 ms in which source and target disagree on the owner (issue 15, defect 1)
        await moveSlot(redis, slot, target, order, 300);
        const moved = Date.now();
        expect((await ownerOf(redis, slot)).id).to.equal(target.id);
        await sleep(RESUME_AFTER_MOVE_MS + 1500);
        says.stop();
        await sleep(1500);
        for (const [i, c] of counts.entries()) {
          const after = says.sent.map((at, seq) => ({ at, seq })).filter(({ at }) => at >= moved);
          console.log(`      ${nodes[i + 1].id}: missing after the move (ms after it): ${after.filter(({ seq }) => !c.has(seq)).map(({ at }) => at - moved).join(",")}; repaired ${(await nodes[i + 1].state()).stats.subscriptionsRepaired}`);
        }
        for (const [i, c] of counts.entries()) expectDelivered(c, says.sent, moved + RESUME_AFTER_MOVE_MS, `listener on ${nodes[i + 1].id}`);
      } finally {
        says.stop();
      }
      expect(await membersOf(room), "members after the move").to.deep.equal(ids);
    });
  }

  it("SIGKILL of the room's master: deliveries resume within failover + 3 s, other shards lose nothing, no accepted say lost unless the room was told to resync, starting rooms back", async function () {
    const killedRoom = `failover-${randomUUID().slice(0, 6)}`;
    const master = await ownerOf(redis, await slotOf(redis, killedRoom));
    let otherRoom = "";
    for (let i = 0; i < 200 && !otherRoom; i++) {
      const candidate = `steady-${i}-${randomUUID().slice(0, 4)}`;
      if ((await ownerOf(redis, await slotOf(redis, candidate))).id !== master.id) otherRoom = candidate;
    }
    expect(otherRoom, "a room on another shard").to.not.equal("");
    const killed = await roomWithMembers(killedRoom);
    const steady = await roomWithMembers(otherRoom);
    const killedCounts = killed.listeners.map((l) => heard(l.client, killedRoom));
    const steadyCounts = steady.listeners.map((l) => heard(l.client, otherRoom));
    // a starting room lost from Redis comes back after the outage (store-recovery.ts)
    const roomsKey = `${prefix}chatRoom:rooms`;
    const roomsOwner = async () => (await ownerOf(redis, await slotOf(redis, roomsKey))).port;
    expect(await redis.cli(await roomsOwner(), "SREM", roomsKey, "otherRoom")).to.equal("1");
    const resyncMarks = killed.listeners.map((l) => l.client.frames.length);

    const killedSays = sayStream(killed.sender.client, killedRoom, killedRoom);
    const steadySays = sayStream(steady.sender.client, otherRoom, otherRoom);
    let failedOver = 0;
    let killedAt = 0;
    try {
      await sleep(800);
      killedAt = Date.now();
      await redis.kill(master.port);
      await waitFor(async () => (await ownerOf(redis, await slotOf(redis, killedRoom)).catch(() => master)).id !== master.id, 20_000, "a replica to take the slot over");
      failedOver = Date.now();
      console.log(`      failover took ${failedOver - killedAt} ms`);
      await sleep(RESUME_AFTER_FAILOVER_MS + 1500);
    } finally {
      killedSays.stop();
      steadySays.stop();
    }
    await sleep(1500);
    for (const node of nodes) expect(node.running, `${node.id} still running`).to.equal(true);
    for (const [i, c] of killedCounts.entries()) {
      const back = killedSays.sent.findIndex((at, seq) => at > killedAt && c.has(seq));
      console.log(`      ${nodes[i + 1].id}: deliveries back ${killedSays.sent[back] - killedAt} ms after the kill`);
    }
    for (const [i, c] of killedCounts.entries()) expectDelivered(c, killedSays.sent, failedOver + RESUME_AFTER_FAILOVER_MS, `${killedRoom} listener on ${nodes[i + 1].id}`);
    for (const [i, c] of steadyCounts.entries()) expectDelivered(c, steadySays.sent, 0, `${otherRoom} listener on ${nodes[i + 1].id}`);
    expect(await membersOf(killedRoom), "members after the failover").to.deep.equal(killed.ids);
    // With history (the default) a gap is repaired from the room's history; only what it cannot
    // cover (writes the dead master never replicated) is announced, by the room's resync.
    const accepted = killedSays.answeredOk();
    expect(accepted.length, "says accepted").to.be.greaterThan(100);
    for (const [i, l] of killed.listeners.entries()) {
      const told = l.client.after(resyncMarks[i], (f) => f.event === "resync" && (f.room === killedRoom || f.room === undefined)).length > 0;
      const lost = accepted.filter((seq) => !killedCounts[i].has(seq));
      console.log(`      ${nodes[i + 1].id}: ${accepted.length} says accepted, ${lost.length} of them not heard, resync notice: ${told}`);
      if (!told) expect(lost, `accepted says never heard on ${nodes[i + 1].id}, with no resync notice`).to.deep.equal([]);
    }
    await waitFor(async () => (await redis.cli(await roomsOwner(), "SISMEMBER", roomsKey, "otherRoom")) === "1", 10_000, "the starting room re-created");
  });

  it("afterwards the self-check finds every room subscription live", async function () {
    for (const node of nodes.slice(0, 2)) {
      const before = (await node.state()).stats.subscriptionChecksClean;
      await waitFor(async () => (await node.state()).stats.subscriptionChecksClean >= before + 2, 10_000, `${node.id} to pass two more self-checks`);
    }
  });
});
