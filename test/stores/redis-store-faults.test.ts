/**
 * Redis faults (ecosystem §2 rows 14-16): Redis absent at start, SIGKILLed mid-run, and
 * restarted. Expected: bounded, clearly worded failures, no crash, and recovery without
 * anyone calling start() again.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { BusMessage, ChatBusMessage } from "../../lib/stores/message-bus.js";
import { RedisRoomStore } from "../../lib/stores/redis-room-store.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import { RedisConnection } from "../../lib/stores/redis-connection.js";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions, storeOptions } from "../support/store-options.js";
import { guardProcess, timedRejection } from "../support/chat-helpers.js";

const UNAVAILABLE = /^actionhero-ws: Redis unavailable at redis:\/\/127\.0\.0\.1:\d+ \(.+\)$/;

/**
 * Resolves with `event`'s arguments, or rejects after `timeoutMs` naming what was awaited.
 * (Not events.once: it would also listen for `error`, changing what the code under test does.)
 */
function nextEvent(emitter: NodeJS.EventEmitter, event: string, timeoutMs: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}


function chat(n: number): ChatBusMessage {
  return {
    messageType: "chat", serverToken: "t", serverId: "s", message: `m${n}`, sentAt: n,
    connection: { id: "c", room: "lobby" },
  };
}


describe("Redis faults: Redis not running at start", function () {
  it("RedisRoomStore.start() rejects within startTimeoutMs with a clear message, then stops retrying", async function () {
    const port = await freePort();
    const store = new RedisRoomStore(storeOptions(`redis://127.0.0.1:${port}`, { startTimeoutMs: 1_000 }));
    const errors: Error[] = [];
    store.on("error", (error: Error) => errors.push(error));
    const { error, ms } = await timedRejection(store.start());
    expect(error.message).to.equal(
      `actionhero-ws: could not connect to Redis at redis://127.0.0.1:${port} within 1000 ms (ECONNREFUSED)`,
    );
    expect(ms).to.be.within(900, 2_000);
    expect(store.ready).to.equal(false);
    // the retry loop is stopped: nothing more is reported (and mocha can exit)
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(errors).to.deep.equal([]);
    await store.close();
  });

  it("RedisMessageBus.start() rejects the same way", async function () {
    const port = await freePort();
    const bus = new RedisMessageBus(busOptions({ socket: { host: "127.0.0.1", port } }, { startTimeoutMs: 500 }));
    const { error, ms } = await timedRejection(bus.start());
    expect(error.message).to.equal(
      `actionhero-ws: could not connect to Redis at redis://127.0.0.1:${port} within 500 ms (ECONNREFUSED)`,
    );
    expect(ms).to.be.within(400, 1_500);
    await bus.close();
  });

  it("never puts credentials from the URL into the message", async function () {
    const port = await freePort();
    const store = new RedisRoomStore(storeOptions(`redis://user:secret@127.0.0.1:${port}`, { startTimeoutMs: 300 }));
    const { error } = await timedRejection(store.start());
    expect(error.message).to.not.include("secret");
    expect(error.message).to.include(`redis://127.0.0.1:${port}`);
    await store.close();
  });
});

describe("Redis faults: SIGKILL and restart mid-run (on a redis-server of their own)", function () {
  let server: RedisServer;
  let store: RedisRoomStore;
  let bus: RedisMessageBus;
  let guard: ReturnType<typeof guardProcess>;
  const received: BusMessage[] = [];
  const storeEvents: string[] = [];
  const storeLogs: string[] = [];
  const busEvents: string[] = [];

  before(async function () {
    server = await startRedisServer({ own: true });
    guard = guardProcess();
    const prefix = `test:${randomUUID()}:`;
    // no `error` listeners on purpose: a Redis outage must not crash an app that forgot them
    store = new RedisRoomStore(storeOptions(server.url, { prefix, nodeId: "node-a", log: (line) => storeLogs.push(line) }));
    bus = new RedisMessageBus(busOptions(server.url, { channel: `test-${randomUUID()}`, log: () => undefined }));
    for (const event of ["ready", "down"]) store.on(event, () => storeEvents.push(event));
    for (const event of ["ready", "down", "resync"]) bus.on(event, () => busEvents.push(event));
    bus.onMessage((message) => received.push(message));
    await Promise.all([store.start(), bus.start()]);
    await bus.subscribeRoom("lobby");
    await store.addRoom("lobby");
  });

  after(async function () {
    guard?.remove();
    await store?.close();
    await bus?.close();
    await server?.stop();
  });

  afterEach(function () {
    expect(guard?.failures ?? [], "unhandled rejections / uncaught exceptions").to.deep.equal([]);
  });

  it("works before the fault", async function () {
    await bus.publish(chat(1));
    await waitFor(() => received.length === 1, 2_000, "message 1");
    expect(await store.roomExists("lobby")).to.equal(true);
  });

  it("a stalled Redis: commands reject after commandTimeoutMs instead of hanging", async function () {
    const stall = createClient({ url: server.url });
    stall.on("error", () => undefined);
    await stall.connect();
    try {
      const sleeping = stall.sendCommand(["DEBUG", "SLEEP", "2.5"], { timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { error, ms } = await timedRejection(store.roomExists("lobby"));
      expect(error.message).to.match(/Redis unavailable at .* \(no answer within 1500 ms\)$/);
      expect(ms).to.be.within(1_300, 2_300);
      await sleeping;
    } finally {
      await stall.close();
    }
    // the late reply was consumed in order: the next command gets its own answer
    expect(await store.roomExists("lobby")).to.equal(true);
    expect(store.ready).to.equal(true);
  });

  it("after SIGKILL: reports `down`, and commands reject fast with a clear error", async function () {
    const storeDown = nextEvent(store, "down", 5_000);
    const busDown = nextEvent(bus, "down", 5_000);
    await server.kill();
    // a command may race the detection: it must fail fast either way
    for (const attempt of [
      () => store.addRoom("other"),
      () => store.members("lobby"),
      () => store.sweepDeadMembers(),
      () => bus.publish(chat(2)),
    ]) {
      const { error, ms } = await timedRejection(attempt());
      expect(error.message).to.match(UNAVAILABLE);
      expect(ms, error.message).to.be.below(2_000);
    }
    await Promise.all([storeDown, busDown]);
    expect(store.ready).to.equal(false);
    expect(bus.ready).to.equal(false);
    // the same, once the clients know Redis is gone: immediate
    const { error, ms } = await timedRejection(store.roomExists("lobby"));
    expect(error.message).to.match(UNAVAILABLE);
    expect(ms).to.be.below(100);
  });

  it("stays down without crashing while Redis is away, logging the outage once (no `error` listener)", async function () {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(store.ready).to.equal(false);
    // the retry loop fails every few hundred ms; repeats of one cause are not logged again
    expect(storeLogs.length, storeLogs.join("\n")).to.be.within(1, 3);
    for (const line of storeLogs) expect(line).to.match(/^actionhero-ws: Redis error at redis:\/\/127\.0\.0\.1:\d+ \(/);
  });

  it("after restart: the store is ready again by itself and works", async function () {
    const storeReady = nextEvent(store, "ready", 10_000);
    const resync = nextEvent(bus, "resync", 10_000);
    await server.restart();
    await Promise.all([storeReady, resync]);
    expect(store.ready).to.equal(true);
    // Redis came back empty: the node re-announced itself at once
    const raw = createClient({ url: server.url });
    raw.on("error", () => undefined);
    await raw.connect();
    try {
      expect(await raw.exists(store.keys.node("node-a"))).to.equal(1);
    } finally {
      await raw.close();
    }
    expect(await store.addRoom("lobby")).to.equal(true);
    expect(await store.roomExists("lobby")).to.equal(true);
  });

  it("after restart: the bus emitted `resync` and publish/subscribe works again", async function () {
    await waitFor(() => bus.ready, 10_000, "bus ready");
    await bus.publish(chat(3));
    await waitFor(() => received.length === 2, 2_000, "message 3");
    expect(received.map((m) => (m as ChatBusMessage).sentAt)).to.deep.equal([1, 3]);
    expect(busEvents).to.deep.equal(["ready", "down", "resync", "ready"]);
    expect(storeEvents).to.deep.equal(["ready", "down", "ready"]);
  });

  it("a killed subscriber connection (CLIENT KILL TYPE pubsub): `resync`, then delivery works", async function () {
    const raw = createClient({ url: server.url });
    raw.on("error", () => undefined);
    await raw.connect();
    try {
      const resync = nextEvent(bus, "resync", 10_000);
      await raw.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await resync;
    } finally {
      await raw.close();
    }
    await waitFor(() => bus.ready, 10_000, "bus ready");
    await bus.publish(chat(4));
    await waitFor(() => received.length === 3, 2_000, "message 4");
    expect(received.map((m) => (m as ChatBusMessage).sentAt)).to.deep.equal([1, 3, 4]);
  });
});

describe("Redis faults: a client the user owns", function () {
  let server: RedisServer;

  before(async function () {
    server = await startRedisServer();
  });
  after(async function () {
    await server?.stop();
  });

  it("gets an error listener, is never quit, and its subscriber duplicate is", async function () {
    const client = createClient({ url: server.url });
    expect(client.listenerCount("error")).to.equal(0);
    await client.connect();
    const bus = new RedisMessageBus(busOptions(client, { channel: `test-${randomUUID()}` }));
    expect(client.listenerCount("error")).to.equal(1);
    const got: BusMessage[] = [];
    bus.onMessage((m) => got.push(m));
    await bus.start();
    await bus.subscribeRoom("lobby");
    await bus.publish(chat(1));
    await waitFor(() => got.length === 1, 2_000, "message");
    const connectionsBefore = (await client.clientList()).length;
    await bus.close();
    expect(client.isOpen, "the user's client is still open").to.equal(true);
    // our subscriber (the duplicate) is gone from the server
    const deadline = Date.now() + 2_000;
    while ((await client.clientList()).length !== connectionsBefore - 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await client.clientList()).length).to.equal(connectionsBefore - 1);
    expect(await client.ping()).to.equal("PONG");
    expect(client.listenerCount("error"), "our listener is removed on close").to.equal(0);
    await client.close();
  });

  it("rejects a value that is not a URL, options or a client", function () {
    expect(() => RedisConnection.from(42 as unknown as string, { startTimeoutMs: 1000, commandTimeoutMs: 1000 })).to.throw(TypeError, /option `redis`/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
