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
  /** a started bus on a fresh channel */
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
    return bus;
  },
  async injectRaw(bus, raw) {
    await rawPublisher.publish((bus as RedisMessageBus).channel, raw);
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
    const channel = `test-${randomUUID()}`;
    const bus = await node(channel);
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

  it("defaults to Actionhero's channel name", function () {
    const bus = new RedisMessageBus(busOptions(redis.url));
    expect(bus.channel).to.equal("actionhero");
  });
});
