/**
 * Fan-out between nodes on Redis Cluster with sharded pub/sub (Redis >= 7): SPUBLISH and
 * SSUBSCRIBE on one shard channel per room, per node and for all nodes (bus-channels.ts,
 * the room as hash tag). A shard channel lives on the master of its slot, so nothing
 * crosses the cluster bus and a room's messages keep their order, unlike classic PUBLISH
 * on a cluster (README, "Redis Cluster").
 *
 * node-redis defects worked around here (issue 15):
 * - after a slot moves, its re-subscription can hit MOVED: the client emits
 *   `sharded-channel-moved-error` and keeps the listener without a subscription, so a
 *   later SSUBSCRIBE of that channel is a silent no-op. We wait a moment, SUNSUBSCRIBE the
 *   channel on every master's pub/sub connection (the stale listener may sit on any of them),
 *   SSUBSCRIBE it again and prove a room channel live with a probe, with back-off until it is;
 * - one SSUBSCRIBE names channels of one slot only (CROSSSLOT): one channel per call;
 * - the pub/sub connection of a master closes when its last channel goes: the linger of
 *   room-subscriptions.ts keeps churn from opening a connection per join/leave pair.
 * The periodic self-check (subscription-probe.ts) catches whatever else drops a subscription.
 *
 * Outages (redis-cluster-connection.ts `down`, then `ready`): `down`, then `resync` (messages
 * may have been lost: at-most-once, README) and `ready`; node-redis subscribes the channels
 * of a lost master again on its successor, and the self-check repairs what it missed.
 *
 * Events: `ready`, `down` (Error), `resync` (after an outage, or a channel subscribed again
 * after a move), `bad-message`, `error`.
 */
import { EventEmitter } from "node:events";
import { historyOffError, type HistoryQuery, type HistoryRead, type HistorySettings } from "./room-history.js";
import { RedisRoomHistory } from "./redis-room-history.js";
import type { BusMessage, MessageBus } from "./message-bus.js";
import { dispatchBusPayload, encodeBusMessage } from "./bus-message-codec.js";
import { DeliveryDeadline } from "./delivery-deadline.js";
import { busChannels, type BusChannels } from "./bus-channels.js";
import { SubscriptionProbe } from "./subscription-probe.js";
import { emitErrorSafely, type RedisConnectionOptions } from "./redis-connection.js";
import { RedisClusterConnection, type NodeRedisClusterLike, type RedisClusterOption } from "./redis-cluster-connection.js";

export interface RedisClusterMessageBusOptions extends RedisConnectionOptions {
  redis: RedisClusterOption | NodeRedisClusterLike;
  channel: string;
  nodeId: string;
  /** How long after its publish a chat message may still be delivered (below `commandTimeoutMs`). */
  chatDeliveryWindowMs: number;
  /** Keep each room's history (option `history`); its keys share the room's slot. Off when absent or false. */
  history?: HistorySettings | false;
  /** Key prefix of the history keys (option `redisPrefix`). */
  prefix?: string;
}

/** First wait after `sharded-channel-moved-error`, doubled per failed attempt. */
const RESUBSCRIBE_FIRST_MS = 50;
const RESUBSCRIBE_ATTEMPTS = 8;
/** A probe after a re-subscription: a live channel echoes in milliseconds. */
const RESUBSCRIBE_PROBE_MS = 250;

export class RedisClusterMessageBus extends EventEmitter implements MessageBus {
  readonly channel: string;
  readonly channels: BusChannels;
  readonly nodeId: string;
  readonly #connection: RedisClusterConnection;
  readonly #probe: SubscriptionProbe;
  readonly #movedProbe: SubscriptionProbe;
  readonly #handlers: Array<(message: BusMessage) => void> = [];
  readonly #roomChannels = new Map<string, string>();
  readonly #log: ((message: string) => void) | undefined;
  readonly #deadline: DeliveryDeadline;
  readonly #history: RedisRoomHistory | undefined;
  #received = 0;
  #started = false;
  #closed = false;
  /** shard channels re-subscribed after a slot move (for tests and stats) */
  resubscribed = 0;

  constructor(options: RedisClusterMessageBusOptions) {
    super();
    this.channel = options.channel;
    if (/[{}]/.test(this.channel)) throw new TypeError("actionhero-ws: option `channel` may not contain `{` or `}` on Redis Cluster");
    this.nodeId = options.nodeId;
    this.channels = busChannels(this.channel, "per-room", true);
    this.#probe = new SubscriptionProbe(this.nodeId, options.commandTimeoutMs);
    this.#movedProbe = new SubscriptionProbe(`${this.nodeId}:moved`, RESUBSCRIBE_PROBE_MS);
    this.#log = options.log;
    this.#deadline = new DeliveryDeadline(options.chatDeliveryWindowMs, this, this.#log);
    this.#connection = new RedisClusterConnection(options.redis, options);
    this.#history = options.history ? new RedisRoomHistory(options.prefix ?? "", options.history, "SPUBLISH") : undefined;
    this.#connection.on("error", (error: Error) => emitErrorSafely(this, error, this.#log));
    this.#connection.on("down", (cause: Error) => {
      if (this.#started && !this.#closed) this.emit("down", cause);
    });
    this.#connection.on("ready", (reconnected: boolean) => {
      if (!reconnected || !this.#started || this.#closed) return;
      this.emit("resync");
      this.emit("ready");
    });
    this.#connection.cluster.on("sharded-channel-moved-error", (_error: Error, channel: string) => void this.#resubscribe(channel));
  }

  get ready(): boolean {
    return this.#started && !this.#closed && this.#connection.ready;
  }

  get received(): number {
    return this.#received;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    await this.#connection.start();
    try {
      // one SSUBSCRIBE per channel: channels of different slots in one call fail (CROSSSLOT)
      for (const channel of [this.channels.node(this.nodeId), this.channels.all]) await this.#subscribe(channel);
    } catch (error) {
      await this.#connection.close();
      throw error;
    }
    this.#started = true;
    this.emit("ready");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#probe.close();
    this.#movedProbe.close();
    await this.#connection.close();
  }

  async publish(message: BusMessage, toNode?: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    const deliverBy = this.#deadline.stamp(message);
    const raw = encodeBusMessage(message, deliverBy);
    const channel = message.messageType === "chat"
      ? this.#roomChannels.get(message.connection.room) ?? this.channels.room(message.connection.room)
      : toNode === undefined ? this.channels.all : this.channels.node(toNode);
    const history = this.#history;
    if (history !== undefined && message.messageType === "chat") {
      await history.publish(this.#send, message.connection.room, channel, raw, deliverBy);
      return;
    }
    await this.#connection.run(() => this.#connection.cluster.sPublish(channel, raw));
  }

  /** A command routed by its first key's slot, bounded as every command (the history's scripts). */
  readonly #send = (key: string, args: string[]): Promise<unknown> => this.#connection.run(() => this.#connection.cluster.sendCommand(key, false, args));

  async subscribeRoom(room: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    const channel = this.channels.room(room);
    await this.#subscribe(channel);
    this.#roomChannels.set(room, channel);
  }

  async unsubscribeRoom(room: string): Promise<void> {
    if (this.#closed) return;
    this.#roomChannels.delete(room);
    const channel = this.channels.room(room);
    await this.#connection.run(() => this.#connection.cluster.sUnsubscribe(channel, this.#listener));
    // the self-check's repair unsubscribes before it subscribes: a stale listener left on
    // another master's connection would make that subscribe a no-op
    await this.#dropEverywhere(channel);
  }

  /** SUNSUBSCRIBE on every master's pub/sub connection: a stale listener may sit on any. */
  async #dropEverywhere(channel: string): Promise<void> {
    for (const master of this.#connection.cluster.masters) {
      await master.pubSub?.client.sUnsubscribe(channel).catch(() => undefined);
    }
  }

  async deadRooms(rooms: Iterable<string>): Promise<string[]> {
    if (!this.ready) return [];
    return this.#probe.deadRooms(rooms, this.#publishProbe);
  }

  readonly #publishProbe = (room: string, raw: string): Promise<unknown> =>
    this.#connection.run(() => this.#connection.cluster.sPublish(this.channels.room(room), raw));

  get history(): boolean {
    return this.#history !== undefined;
  }

  async readHistory(room: string, query: HistoryQuery): Promise<HistoryRead> {
    const history = this.#history;
    if (history === undefined) throw historyOffError();
    return history.read(this.#send, room, query);
  }

  onMessage(handler: (message: BusMessage) => void): void {
    this.#handlers.push(handler);
  }

  #subscribe(channel: string): Promise<void> {
    return this.#connection.run(() => this.#connection.cluster.sSubscribe(channel, this.#listener));
  }

  /** Workaround for a re-subscription that hit MOVED (see the file comment). */
  async #resubscribe(channel: string): Promise<void> {
    const wanted = (): boolean => channel === this.channels.node(this.nodeId) || channel === this.channels.all ||
      [...this.#roomChannels.values()].includes(channel);
    const room = [...this.#roomChannels].find(([, roomChannel]) => roomChannel === channel)?.[0];
    const live = async (): Promise<boolean> => room !== undefined && (await this.#movedProbe.deadRooms([room], this.#publishProbe, true)).length === 0;
    let wait = RESUBSCRIBE_FIRST_MS;
    for (let attempt = 0; attempt < RESUBSCRIBE_ATTEMPTS && !this.#closed; attempt++, wait *= 2) {
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if (!wanted()) return;
      try {
        // a later attempt first asks whether the last one took after all (its probe may have
        // been lost while the slot's owners disagreed): dropping a live channel loses messages
        if (attempt === 0 || !(await live())) {
          await this.#dropEverywhere(channel);
          await this.#subscribe(channel);
          if (room !== undefined && !(await live())) throw new Error("still deaf after subscribing again");
        }
        this.resubscribed++;
        this.emit("resync");
        return;
      } catch (error) {
        if (attempt === RESUBSCRIBE_ATTEMPTS - 1) emitErrorSafely(this, new Error(`actionhero-ws: could not subscribe again to ${channel} after a slot move (${(error as Error).message})`), this.#log);
      }
    }
  }

  readonly #listener = (raw: string): void => {
    if (this.#closed) return;
    this.#received++;
    if (this.#probe.isProbe(raw)) {
      this.#probe.heard(raw);
      this.#movedProbe.heard(raw);
      return;
    }
    dispatchBusPayload(raw, this.#handlers, (bad) => this.emit("bad-message", bad), (error) => emitErrorSafely(this, error, this.#log), this.#deadline.inTime);
  };
}
