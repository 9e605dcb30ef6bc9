/**
 * One history contract, two stores: offsets contiguous per room, the epoch kept while the
 * history lives and changed when it is lost, trimming by count and age, and `since` reads
 * that say when the gap is no longer covered.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { ChatBusMessage, MessageBus } from "../../lib/stores/message-bus.js";
import { MemoryMessageBus } from "../../lib/stores/memory-message-bus.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import { RedisClusterMessageBus } from "../../lib/stores/redis-cluster-message-bus.js";
import { startRedisCluster, type RedisClusterUnderTest } from "../support/redis-cluster.js";
import { epochBelongsTo, type HistorySettings } from "../../lib/stores/room-history.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions } from "../support/store-options.js";

interface Harness {
  name: string;
  before?(): Promise<void>;
  after?(): Promise<void>;
  create(history: HistorySettings): Promise<MessageBus>;
  /** the history is lost: the process restarts (memory) or Redis is flushed */
  lose(bus: MessageBus, history: HistorySettings): Promise<MessageBus>;
}

const settings: HistorySettings = { size: 5, ttlMs: 60_000, metaTtlMs: 120_000 };

function chat(room: string, n: number): ChatBusMessage {
  return { messageType: "chat", serverToken: "t", serverId: "node-1", message: `m${n}`, sentAt: 1_700_000_000_000 + n, connection: { id: "c", room } };
}

const texts = (raws: string[]) => raws.map((raw) => (JSON.parse(raw) as ChatBusMessage).message);
const offsets = (raws: string[]) => raws.map((raw) => (JSON.parse(raw) as ChatBusMessage).offset);

function historyContract(harness: Harness): void {
  describe(`room history contract: ${harness.name}`, function () {
    const opened: MessageBus[] = [];
    this.timeout(120_000);
    before(async function () {
      await harness.before?.();
    });
    after(async function () {
      await harness.after?.();
    });
    afterEach(async function () {
      await Promise.all(opened.splice(0).map((b) => b.close()));
    });
    const make = async (history = settings) => {
      const bus = await harness.create(history);
      opened.push(bus);
      return bus;
    };

    it("gives each room contiguous offsets from 1 and one epoch of that room, on the live message too", async function () {
      const bus = await make();
      const room = `r-${randomUUID()}`;
      await bus.subscribeRoom(room);
      const live: ChatBusMessage[] = [];
      bus.onMessage((m) => m.messageType === "chat" && live.push(m));
      for (let n = 1; n <= 3; n++) await bus.publish(chat(room, n));
      await bus.publish(chat(`${room}-other`, 9));
      const read = await bus.readHistory(room, { limit: 10 });
      expect(read.offset).to.equal(3);
      expect(offsets(read.messages)).to.deep.equal([1, 2, 3]);
      expect(texts(read.messages)).to.deep.equal(["m1", "m2", "m3"]);
      expect(epochBelongsTo(room, read.epoch)).to.equal(true);
      expect(epochBelongsTo(`${room}-other`, read.epoch)).to.equal(false);
      const deadline = Date.now() + 5_000;
      while (live.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(live.map((m) => [m.offset, m.epoch])).to.deep.equal([[1, read.epoch], [2, read.epoch], [3, read.epoch]]);
      const other = await bus.readHistory(`${room}-other`, { limit: 10 });
      expect(other.offset).to.equal(1);
      expect(other.epoch).to.not.equal(read.epoch);
    });

    it("keeps the newest `size`, pages back with `before`, and answers `since` in order", async function () {
      const bus = await make();
      const room = `r-${randomUUID()}`;
      for (let n = 1; n <= 8; n++) await bus.publish(chat(room, n));
      const all = await bus.readHistory(room, { limit: 100 });
      expect(offsets(all.messages)).to.deep.equal([4, 5, 6, 7, 8]);
      expect(offsets((await bus.readHistory(room, { limit: 2 })).messages)).to.deep.equal([7, 8]);
      expect(offsets((await bus.readHistory(room, { limit: 2, before: 6 })).messages)).to.deep.equal([4, 5]);
      const since = await bus.readHistory(room, { since: { offset: 5, epoch: all.epoch }, limit: 5 });
      expect(since.covered).to.equal(true);
      expect(offsets(since.messages)).to.deep.equal([6, 7, 8]);
      const none = await bus.readHistory(room, { since: { offset: 8, epoch: all.epoch }, limit: 5 });
      expect(none).to.deep.include({ covered: true, messages: [] });
      // 1-3 are trimmed: a client that saw 3 missed only kept ones, a client that saw 2 missed 3
      expect((await bus.readHistory(room, { since: { offset: 3, epoch: all.epoch }, limit: 5 })).covered).to.equal(true);
      const trimmed = await bus.readHistory(room, { since: { offset: 2, epoch: all.epoch }, limit: 5 });
      expect(trimmed).to.deep.include({ covered: false, messages: [] });
    });

    it("does not serve messages older than ttlMs", async function () {
      const bus = await make({ size: 10, ttlMs: 200, metaTtlMs: 60_000 });
      const room = `r-${randomUUID()}`;
      await bus.publish(chat(room, 1));
      await new Promise((r) => setTimeout(r, 400));
      await bus.publish(chat(room, 2));
      const read = await bus.readHistory(room, { limit: 10 });
      expect(offsets(read.messages)).to.deep.equal([2]);
      expect((await bus.readHistory(room, { since: { offset: 0, epoch: read.epoch }, limit: 10 })).covered).to.equal(false);
      expect((await bus.readHistory(room, { since: { offset: 1, epoch: read.epoch }, limit: 10 })).covered).to.equal(true);
    });

    it("changes the epoch when the history is lost, so an old `since` is not covered", async function () {
      let bus = await make();
      const room = `r-${randomUUID()}`;
      await bus.publish(chat(room, 1));
      const before = await bus.readHistory(room, { limit: 10 });
      bus = await harness.lose(bus, settings);
      opened.push(bus);
      await bus.publish(chat(room, 2));
      const after = await bus.readHistory(room, { since: { offset: 1, epoch: before.epoch }, limit: 10 });
      expect(after.epoch).to.not.equal(before.epoch);
      expect(after).to.deep.include({ covered: false, offset: 1 });
    });

    it("costs nothing when off: no offsets on messages, reads refused", async function () {
      const bus = await harness.create(false as unknown as HistorySettings);
      opened.push(bus);
      const room = `r-${randomUUID()}`;
      await bus.subscribeRoom(room);
      const live: ChatBusMessage[] = [];
      bus.onMessage((m) => m.messageType === "chat" && live.push(m));
      await bus.publish(chat(room, 1));
      const deadline = Date.now() + 5_000;
      while (live.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(live[0]).to.not.have.property("offset");
      expect(bus.history).to.equal(false);
      await bus.readHistory(room, { limit: 1 }).then(() => expect.fail("read without history"), (error: Error) => expect(error.message).to.match(/history is off/));
    });
  });
}

historyContract({
  name: "MemoryMessageBus",
  async create(history) {
    const bus = new MemoryMessageBus({ history });
    await bus.start();
    return bus;
  },
  async lose(bus, history) {
    await bus.close();
    return this.create(history);
  },
});

let server: RedisServer;
let admin: ReturnType<typeof createClient>;
historyContract({
  name: "RedisMessageBus",
  async before() {
    server = await startRedisServer();
    admin = createClient({ url: server.url });
    admin.on("error", () => undefined);
    await admin.connect();
  },
  async after() {
    await admin?.close();
    await server?.stop();
  },
  async create(history) {
    const bus = new RedisMessageBus(busOptions(server.url, { channel: `test-${randomUUID()}`, history, prefix: `p-${randomUUID()}:` }));
    await bus.start();
    return bus;
  },
  async lose(bus) {
    // FLUSHALL (a replaced or flushed Redis) also drops the cached scripts: EVALSHA must recover.
    await admin.sendCommand(["FLUSHALL"]);
    await admin.sendCommand(["SCRIPT", "FLUSH"]);
    return bus;
  },
});

let cluster: RedisClusterUnderTest;
historyContract({
  name: "RedisClusterMessageBus (3 masters, the script and its keys in the room's slot)",
  async before() {
    cluster = await startRedisCluster(3);
  },
  async after() {
    await cluster?.stop();
  },
  async create(history) {
    const bus = new RedisClusterMessageBus({
      redis: { cluster: { rootNodes: cluster.urls.map((url) => ({ url })) } },
      channel: `test-${randomUUID()}`, nodeId: randomUUID(), startTimeoutMs: 20_000, commandTimeoutMs: 2_000,
      chatDeliveryWindowMs: 1_500, history, prefix: `p-${randomUUID()}:`,
    });
    await bus.start();
    return bus;
  },
  async lose(bus) {
    for (const server of cluster.servers) {
      // replicas refuse writes: flush the masters only
      if ((await cluster.cli(server.port, "ROLE")).startsWith("master")) {
        await cluster.cli(server.port, "FLUSHALL");
        await cluster.cli(server.port, "SCRIPT", "FLUSH");
      }
    }
    return bus;
  },
});
