/**
 * The subscription self-check (lib/chat/room-subscriptions.ts) on a real Redis bus: it
 * repairs a subscription that is really lost, and never drops a live one. A repair
 * unsubscribes for a moment, so repairing a live room on the word of a probe lost earlier
 * (in a slot move, or by a pass that outlived the check interval) loses messages; the
 * Redis Cluster fault test lost says that way.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { RoomSubscriptions } from "../../lib/chat/room-subscriptions.js";
import { createLogger } from "../../lib/logger.js";
import { RedisMessageBus } from "../../lib/stores/redis-message-bus.js";
import type { BusMessage } from "../../lib/stores/message-bus.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions } from "../support/store-options.js";
import { sleep, waitFor } from "../support/chat-helpers.js";

/** The bus, with the calls the self-check makes on it counted. */
function counted(bus: RedisMessageBus) {
  const calls = { subscribeRoom: 0, unsubscribeRoom: 0 };
  return {
    calls,
    subscribeRoom: (room: string) => (calls.subscribeRoom++, bus.subscribeRoom(room)),
    unsubscribeRoom: (room: string) => (calls.unsubscribeRoom++, bus.unsubscribeRoom(room)),
    deadRooms: (rooms: Iterable<string>) => bus.deadRooms(rooms),
  };
}

describe("chat: the subscription self-check", function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let bus: RedisMessageBus;
  const heard: string[] = [];

  before(async function () {
    redis = await startRedisServer({ own: true });
    // probes time out after commandTimeoutMs: short, so a lost one is decided quickly
    bus = new RedisMessageBus(busOptions(redis.url, { channel: `subs-${randomUUID()}`, commandTimeoutMs: 600, chatDeliveryWindowMs: 500 }));
    bus.onMessage((message: BusMessage) => {
      if (message.messageType === "chat") heard.push(String(message.message));
    });
    await bus.start();
  });

  after(async function () {
    await bus?.close();
    await redis?.stop();
  });

  async function live(room: string): Promise<boolean> {
    const text = `hello ${randomUUID()}`;
    await bus.publish({ messageType: "chat", serverToken: "t", serverId: bus.nodeId, message: text, sentAt: Date.now(), connection: { id: "c", room } });
    for (let i = 0; i < 50 && !heard.includes(text); i++) await sleep(10);
    return heard.includes(text);
  }

  it("re-subscribes a room whose subscription is really gone, once, and the room hears again", async function () {
    const room = `lost-${randomUUID()}`;
    const spy = counted(bus);
    const hooks: string[] = [];
    const subscriptions = new RoomSubscriptions(spy, 0, createLogger(undefined), {
      followed: (r) => hooks.push(`followed ${r}`),
      released: (r) => hooks.push(`released ${r}`),
      repaired: (rooms) => hooks.push(`repaired ${rooms.join(",")}`),
    });
    await subscriptions.acquire(room);
    expect(hooks, "the first subscription").to.deep.equal([`followed ${room}`]);
    expect(await live(room)).to.equal(true);
    await bus.unsubscribeRoom(room); // lost behind the self-check's back
    expect(await live(room)).to.equal(false);
    expect(await subscriptions.check()).to.deep.equal([room]);
    expect(subscriptions.repaired).to.equal(1);
    expect(spy.calls.unsubscribeRoom, "one repair").to.equal(1);
    // a repair is no release: gap repair reads what the room missed while deaf
    expect(hooks).to.deep.equal([`followed ${room}`, `repaired ${room}`]);
    expect(await live(room)).to.equal(true);
    expect(await subscriptions.check()).to.deep.equal([]);
    expect(subscriptions.cleanChecks).to.equal(1);
    subscriptions.release(room);
    await waitFor(() => hooks.length === 3, 2_000, "the release after the linger");
    expect(hooks[2]).to.equal(`released ${room}`);
    subscriptions.close();
  });

  it("does not touch a live room whose earlier probe was lost, and a pass never overlaps another", async function () {
    const room = `flicker-${randomUUID()}`;
    const spy = counted(bus);
    const subscriptions = new RoomSubscriptions(spy, 0, createLogger(undefined));
    await subscriptions.acquire(room);
    // the channel is down while the first probe travels, and live again long before its verdict
    await bus.unsubscribeRoom(room);
    const order: string[] = [];
    const first = subscriptions.check().then((repaired) => (order.push("first"), repaired));
    await sleep(100);
    await bus.subscribeRoom(room);
    const second = subscriptions.check().then((repaired) => (order.push("second"), repaired));
    expect(await second, "a pass started while another runs").to.deep.equal([]);
    expect(await first, "the first pass's verdict").to.deep.equal([]);
    expect(order).to.deep.equal(["second", "first"]);
    expect(spy.calls.unsubscribeRoom, "the live room was never unsubscribed").to.equal(0);
    expect(subscriptions.repaired).to.equal(0);
    expect(await live(room)).to.equal(true);
    subscriptions.close();
  });
});
