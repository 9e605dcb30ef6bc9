/**
 * One contract, two buses: delivery, order, asynchrony and the handling of garbage on the
 * channel must be the same in one process and across Redis.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { BusMessage, ChatBusMessage, MessageBus } from "../../lib/stores/message-bus.js";
import type { BadBusMessage } from "../../lib/stores/bus-message-codec.js";
import { MemoryMessageBus } from "../../lib/stores/memory-message-bus.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions, storeOptions } from "../support/store-options.js";

interface Harness {
  name: string;
  before?(): Promise<void>;
  after?(): Promise<void>;
  /** a started bus on a fresh channel, subscribed to defaultRoom */
  create(): Promise<MessageBus>;
  /** puts a raw payload on the bus' channel, as another program could */
  injectRaw(bus: MessageBus, raw: string): Promise<void>;
}

const BAD_PAYLOADS: Array<[raw: string, reason: string]> = [
  ["{bad", "invalid JSON"],
  ["null", "not a JSON object"],
  ["42", "not a JSON object"],
  ['"text"', "not a JSON object"],
  ["[1,2]", "not a JSON object"],
  ['{"messageType":"chat"}', "serverToken must be a string"],
  ['{"messageType":"nope","serverToken":"t","serverId":"s"}', "unknown messageType"],
  ['{"messageType":"chat","serverToken":"t","serverId":"s","sentAt":1,"connection":null}', "chat message needs connection {id, room} strings"],
  ['{"messageType":"do","serverToken":"t","serverId":"s","messageId":"m","method":"x","args":"no"}', "do message needs an args array"],
];

function chat(n: number, message: unknown = `hello ${n}`): ChatBusMessage {
  return {
    messageType: "chat",
    serverToken: "change-me",
    serverId: "node-1",
    message,
    sentAt: 1_700_000_000_000 + n,
    connection: { id: `conn-${n}`, room: "defaultRoom" },
  };
}

/**
 * Collects messages; `until(n)` resolves once n arrived (bounded by mocha's timeout). The
 * Redis bus's delivery deadline (`deliverBy`, its own field) is kept apart in `deadlines`,
 * so both buses compare equal.
 */
function collector(bus: MessageBus): { got: BusMessage[]; deadlines: unknown[]; until(count: number): Promise<void> } {
  const got: BusMessage[] = [];
  const deadlines: unknown[] = [];
  const waiters: Array<() => void> = [];
  bus.onMessage((message) => {
    const { deliverBy, ...rest } = message as ChatBusMessage;
    if (message.messageType === "chat") deadlines.push(deliverBy);
    got.push(message.messageType === "chat" ? (rest as BusMessage) : message);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    got,
    deadlines,
    async until(count) {
      while (got.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

function badMessages(bus: MessageBus): BadBusMessage[] {
  const bad: BadBusMessage[] = [];
  bus.on("bad-message", (event: BadBusMessage) => bad.push(event));
  return bad;
}

function messageBusContract(harness: Harness): void {
  describe(`MessageBus contract: ${harness.name}`, function () {
    const opened: MessageBus[] = [];
    let bus: MessageBus;

    before(async function () {
      await harness.before?.();
    });
    after(async function () {
      await harness.after?.();
    });
    beforeEach(async function () {
      bus = await harness.create();
      opened.push(bus);
    });
    afterEach(async function () {
      await Promise.all(opened.splice(0).map((b) => b.close()));
    });

    it("delivers each message to every subscribed handler, intact", async function () {
      const first = collector(bus);
      const second = collector(bus);
      const message = chat(1, { text: "hi", nested: { list: [1, "two", null] } });
      await bus.publish(message);
      await Promise.all([first.until(1), second.until(1)]);
      expect(first.got).to.deep.equal([message]);
      expect(second.got).to.deep.equal([message]);
    });

    it("delivers asynchronously, never inside publish()", async function () {
      const { got, until } = collector(bus);
      const publishing = bus.publish(chat(1));
      expect(got).to.have.length(0);
      await publishing;
      await until(1);
      expect(got).to.have.length(1);
    });

    it("keeps publish order", async function () {
      const { got, until } = collector(bus);
      const count = 200;
      await Promise.all(Array.from({ length: count }, (_, n) => bus.publish(chat(n))));
      await until(count);
      expect(got.map((m) => (m as ChatBusMessage).sentAt)).to.deep.equal(
        Array.from({ length: count }, (_, n) => 1_700_000_000_000 + n),
      );
    });

    it("carries all three message types", async function () {
      const { got, until } = collector(bus);
      const rpc: BusMessage = {
        messageType: "do", serverToken: "t", serverId: "s", messageId: "m1",
        method: "removeMember", connectionId: "c1", args: ["c1", "lobby"],
      };
      const reply: BusMessage = { messageType: "doResponse", serverToken: "t", serverId: "s", messageId: "m1", response: true };
      await bus.publish(chat(1));
      await bus.publish(rpc);
      await bus.publish(reply);
      await until(3);
      expect(got).to.deep.equal([chat(1), rpc, reply]);
    });

    it("ignores malformed or foreign messages with a `bad-message` event", async function () {
      const { got, until } = collector(bus);
      const bad = badMessages(bus);
      for (const [raw] of BAD_PAYLOADS) await harness.injectRaw(bus, raw);
      // a good message after the garbage proves the bus is still delivering, in order
      await bus.publish(chat(99));
      await until(1);
      expect(got).to.deep.equal([chat(99)]);
      expect(bad.map((b) => [b.raw, b.reason])).to.deep.equal(BAD_PAYLOADS);
    });

    it("keeps delivering when a handler throws, reporting it as `error`", async function () {
      const errors: Error[] = [];
      bus.on("error", (error: Error) => errors.push(error));
      bus.onMessage(() => {
        throw new Error("handler bug");
      });
      const { got, until } = collector(bus);
      await bus.publish(chat(1));
      await bus.publish(chat(2));
      await until(2);
      expect(got).to.have.length(2);
      expect(errors.map((e) => e.message)).to.deep.equal(["handler bug", "handler bug"]);
    });

    it("rejects a message JSON cannot carry, without breaking the bus", async function () {
      const { got, until } = collector(bus);
      let failure: unknown;
      await bus.publish(chat(1, 10n)).catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(TypeError);
      await bus.publish(chat(2));
      await until(1);
      expect(got).to.deep.equal([chat(2)]);
    });

    it("delivers a room's chat only while the room is subscribed; commands always reach the node", async function () {
      const { got, until } = collector(bus);
      const elsewhere = { ...chat(2), connection: { id: "conn-2", room: "elsewhere" } };
      await bus.publish(elsewhere);
      await bus.subscribeRoom("elsewhere");
      await bus.publish({ ...elsewhere, sentAt: 3 });
      await until(1);
      await bus.unsubscribeRoom("elsewhere");
      await bus.publish({ ...elsewhere, sentAt: 4 });
      const reply: BusMessage = { messageType: "doResponse", serverToken: "t", serverId: "s", messageId: "m1", response: true };
      await bus.publish(reply, (bus as { nodeId?: string }).nodeId);
      await bus.publish({ ...reply, messageId: "m2" });
      await until(3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(got).to.deep.equal([{ ...elsewhere, sentAt: 3 }, reply, { ...reply, messageId: "m2" }]);
      expect(bus.received).to.be.at.least(3);
    });

    it("reports no dead room while every subscription is live", async function () {
      await bus.subscribeRoom("second");
      expect(await bus.deadRooms(["defaultRoom", "second"])).to.deep.equal([]);
    });

    it("stops delivering and rejects publish after close", async function () {
      const { got } = collector(bus);
      await bus.close();
      let failure: unknown;
      await bus.publish(chat(1)).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/closed/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(got).to.have.length(0);
    });
  });
}

messageBusContract({
  name: "MemoryMessageBus",
  async create() {
    const bus = new MemoryMessageBus();
    await bus.start();
    await bus.subscribeRoom("defaultRoom");
    return bus;
  },
  async injectRaw(bus, raw) {
    (bus as MemoryMessageBus).deliverRaw(raw);
  },
});

let server: RedisServer;
let rawPublisher: ReturnType<typeof createClient>;
messageBusContract({
  name: "RedisMessageBus",
  async before() {
    server = await startRedisServer();
    rawPublisher = createClient({ url: server.url });
    rawPublisher.on("error", () => undefined);
    await rawPublisher.connect();
  },
  async after() {
    await rawPublisher?.close();
    await server?.stop();
  },
  async create() {
    const bus = new RedisMessageBus(busOptions(server.url, { channel: `test-${randomUUID()}` }));
    await bus.start();
    await bus.subscribeRoom("defaultRoom");
    return bus;
  },
  async injectRaw(bus, raw) {
    await rawPublisher.publish((bus as RedisMessageBus).channels.room("defaultRoom"), raw);
  },
});

describe("RedisMessageBus across nodes", function () {
  let redis: RedisServer;
  const opened: MessageBus[] = [];

  before(async function () {
    redis = await startRedisServer();
  });
  after(async function () {
    await redis?.stop();
  });
  afterEach(async function () {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  async function node(channel: string): Promise<RedisMessageBus> {
    const bus = new RedisMessageBus(busOptions(redis.url, { channel }));
    opened.push(bus);
    await bus.start();
    return bus;
  }

  it("delivers a message from node A to nodes A and B, and not to another channel", async function () {
    const channel = `test-${randomUUID()}`;
    const [a, b, elsewhere] = await Promise.all([node(channel), node(channel), node(`${channel}-other`)]);
    await Promise.all([a, b, elsewhere].map((bus) => bus.subscribeRoom("defaultRoom")));
    const atA = collector(a);
    const atB = collector(b);
    const atElsewhere = collector(elsewhere);
    await a.publish(chat(1));
    await Promise.all([atA.until(1), atB.until(1)]);
    // the other channel had the same time to receive it
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(atA.got).to.deep.equal([chat(1)]);
    expect(atB.got).to.deep.equal([chat(1)]);
    expect(atElsewhere.got).to.deep.equal([]);
  });

  it("stamps chat messages with a deadline a little under the command timeout, and drops those that arrive after it; Actionhero's (no deadline) are delivered", async function () {
    // Actionhero's single channel: a message published there by anyone reaches the bus.
    const channel = `test-${randomUUID()}`;
    const bus = new RedisMessageBus(busOptions(redis.url, { channel, mode: "single" }));
    opened.push(bus);
    await bus.start();
    const at = collector(bus);
    const bad = badMessages(bus);
    const before = Date.now();
    await bus.publish(chat(1));
    await at.until(1);
    const [deadline] = at.deadlines as number[];
    // The default command timeout (1500 ms) minus the 500 ms margin.
    expect(deadline - before).to.be.within(900, 1100);
    const publisher = createClient({ url: redis.url });
    publisher.on("error", () => undefined);
    await publisher.connect();
    try {
      await publisher.publish(channel, JSON.stringify({ ...chat(2), deliverBy: Date.now() - 1 }));
      await publisher.publish(channel, JSON.stringify(chat(3)));
      await publisher.publish(channel, JSON.stringify({ ...chat(4), deliverBy: Date.now() + 60_000 }));
      await at.until(3);
    } finally {
      await publisher.close();
    }
    expect(at.got).to.deep.equal([chat(1), chat(3), chat(4)]);
    expect(bad.map((b) => b.reason)).to.have.length(1);
    expect(bad[0].reason).to.match(/after its deadline/);
  });

  it("defaults to per-room channels under Actionhero's channel name", function () {
    const bus = new RedisMessageBus(busOptions(redis.url, { nodeId: "n1" }));
    expect(bus.channel).to.equal("actionhero");
    expect([bus.channels.room("lobby"), bus.channels.node("n1"), bus.channels.all]).to.deep.equal(
      ["actionhero:room:lobby", "actionhero:node:n1", "actionhero:nodes"]);
  });

  it("per-room: a room's chat reaches only the nodes subscribed to it; a command only its node, or all without one", async function () {
    const channel = `test-${randomUUID()}`;
    const [a, b, c] = await Promise.all([node(channel), node(channel), node(channel)]);
    await Promise.all([a.subscribeRoom("lobby"), b.subscribeRoom("lobby"), c.subscribeRoom("kitchen")]);
    const [atA, atB, atC] = [collector(a), collector(b), collector(c)];
    const lobby = { ...chat(1), connection: { id: "x", room: "lobby" } };
    await c.publish(lobby);
    const rpc: BusMessage = { messageType: "do", serverToken: "t", serverId: a.nodeId, messageId: "m", method: "x", connectionId: "c", args: [] };
    await a.publish(rpc, b.nodeId);
    await a.publish({ ...rpc, messageId: "all" });
    await Promise.all([atA.until(2), atB.until(3), atC.until(1)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(atA.got).to.deep.equal([lobby, { ...rpc, messageId: "all" }]);
    expect(atB.got).to.deep.equal([lobby, rpc, { ...rpc, messageId: "all" }]);
    expect(atC.got).to.deep.equal([{ ...rpc, messageId: "all" }]);
    expect(c.received, "C never received the lobby's message").to.equal(1);
  });

  it("single channel (Actionhero's): every node receives everything on the one channel", async function () {
    const channel = `test-${randomUUID()}`;
    const start = async () => {
      const bus = new RedisMessageBus(busOptions(redis.url, { channel, mode: "single" }));
      opened.push(bus);
      await bus.start();
      return bus;
    };
    const [a, b] = await Promise.all([start(), start()]);
    expect([a.channels.room("lobby"), a.channels.node("n"), a.channels.all]).to.deep.equal([channel, channel, channel]);
    const atB = collector(b);
    const lobby = { ...chat(1), connection: { id: "x", room: "lobby" } };
    await a.publish(lobby);
    await a.publish({ messageType: "doResponse", serverToken: "t", serverId: "s", messageId: "m" }, "someone-else");
    await atB.until(2);
    expect(atB.got[0]).to.deep.equal(lobby);
    const raw = createClient({ url: redis.url });
    raw.on("error", () => undefined);
    await raw.connect();
    try {
      expect(await raw.pubSubNumSub([channel])).to.deep.equal({ [channel]: 2 });
    } finally {
      await raw.close();
    }
  });

  it("finds a room whose subscription is gone (deadRooms), and none while it is live", async function () {
    const bus = await node(`test-${randomUUID()}`);
    await bus.subscribeRoom("lobby");
    expect(await bus.deadRooms(["lobby"])).to.deep.equal([]);
    // a room this node never subscribed to is what a silently lost subscription looks like
    expect(await bus.deadRooms(["lobby", "never-subscribed"])).to.deep.equal(["never-subscribed"]);
  });
});
