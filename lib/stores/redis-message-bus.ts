/**
 * Fan-out between nodes over Redis pub/sub: a channel per room, per node and one for all
 * nodes (bus-channels.ts), or Actionhero's single channel (`actionhero` by default). Two
 * connections, because a subscribed connection cannot send commands: the publisher (the
 * user's client when one is given) and a subscriber of our own.
 *
 * Pub/sub is at-most-once: messages published while the subscriber is reconnecting are
 * lost to it. The bus cannot recover them, so it says so: `resync` fires once the
 * subscription is back, and listeners fill the gaps from the rooms' history
 * (chat/gap-repair.ts) or refresh whatever state they derive.
 *
 * A `say` answered with an error must not be delivered (its client may send it again). A
 * publish Redis answers late is still carried out: a stalled Redis (CLIENT PAUSE, a
 * SIGSTOP) runs it when it wakes up, after the sender's command timeout already failed the
 * `say`. So each chat message carries a deadline (`deliverBy`, the publish time plus
 * `chatDeliveryWindowMs`, which is the command timeout minus a margin) and every node drops
 * chat messages that reach it later: a publish that timed out on its sender reaches nobody.
 * This holds while the nodes' clocks agree within the margin (README, "Running several nodes").
 *
 * Events: `ready` (started, or both connections back after a loss), `down` (Error),
 * `resync`, `bad-message` (BadBusMessage: malformed, or a chat message past its deadline),
 * `error` (Error).
 */
import { EventEmitter } from "node:events";
import type { BusMessage, MessageBus } from "./message-bus.js";
import { dispatchBusPayload, encodeBusMessage } from "./bus-message-codec.js";
import { DeliveryDeadline } from "./delivery-deadline.js";
import { busChannels, type BusChannels, type ChannelMode } from "./bus-channels.js";
import { SubscriptionProbe } from "./subscription-probe.js";
import { RedisRoomHistory } from "./redis-room-history.js";
import { historyOffError, type HistoryQuery, type HistoryRead, type HistorySettings } from "./room-history.js";
import {
  emitErrorSafely,
  RedisConnection,
  type RedisConnectionOptions,
  type RedisOption,
} from "./redis-connection.js";

export interface RedisMessageBusOptions extends RedisConnectionOptions {
  /** URL, node-redis options, or a node-redis client you own (used to publish, never quit). */
  redis: RedisOption;
  /** Pub/sub channel (option `channel`; Actionhero's `config.general.channel`), or the channels' prefix. */
  channel: string;
  /** A channel per room or Actionhero's single channel (option `channelMode`). */
  mode: ChannelMode;
  /** This node's id (option `id`): the channel of commands addressed to it. */
  nodeId: string;
  /** How long after its publish a chat message may still be delivered (below `commandTimeoutMs`). */
  chatDeliveryWindowMs: number;
  /** Keep each room's history (option `history`), written by the publish itself; off when absent or false. */
  history?: HistorySettings | false;
  /** Key prefix of the history keys (option `redisPrefix`). */
  prefix?: string;
}


export class RedisMessageBus extends EventEmitter implements MessageBus {
  readonly channel: string;
  readonly channels: BusChannels;
  readonly nodeId: string;
  readonly #probe: SubscriptionProbe;
  /** room -> its channel, for the rooms subscribed (a say's publish builds no string) */
  readonly #roomChannels = new Map<string, string>();
  #received = 0;
  readonly #publisher: RedisConnection;
  readonly #subscriber: RedisConnection;
  readonly #handlers: Array<(message: BusMessage) => void> = [];
  readonly #log: ((message: string) => void) | undefined;
  #started = false;
  #closed = false;
  #down = false;
  #resyncPending = false;
  readonly #deadline: DeliveryDeadline;
  readonly #history: RedisRoomHistory | undefined;

  /** Throws (TypeError) on invalid options; connects only in `start()`. */
  constructor(options: RedisMessageBusOptions) {
    super();
    this.channel = options.channel;
    if (typeof this.channel !== "string" || this.channel === "") {
      throw new TypeError("actionhero-ws: option `channel` must be a non-empty string");
    }
    this.nodeId = options.nodeId;
    this.channels = busChannels(this.channel, options.mode, false);
    this.#probe = new SubscriptionProbe(this.nodeId, options.commandTimeoutMs);
    this.#log = options.log;
    this.#deadline = new DeliveryDeadline(options.chatDeliveryWindowMs, this, this.#log);
    this.#history = options.history ? new RedisRoomHistory(options.prefix ?? "", options.history) : undefined;
    this.#publisher = RedisConnection.from(options.redis, options);
    this.#subscriber = this.#publisher.duplicate();
    for (const connection of [this.#publisher, this.#subscriber]) {
      connection.on("error", (error: Error) => emitErrorSafely(this, error, this.#log));
      connection.on("down", (cause: Error) => this.#onDown(cause));
      connection.on("ready", (reconnected: boolean) => {
        if (reconnected) this.#onReconnected(connection);
      });
    }
  }

  /** true when both connections are up */
  get ready(): boolean {
    return this.#started && !this.#closed && this.#publisher.ready && this.#subscriber.ready;
  }

  /** Connects both clients and subscribes; rejects within `startTimeoutMs`. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    const results = await Promise.allSettled([this.#publisher.start(), this.#subscriber.start()]);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    try {
      if (failed) throw failed.reason;
      const own = this.channels.mode === "single" ? [this.channel] : [this.channels.node(this.nodeId), this.channels.all];
      await this.#subscriber.run((c) => c.subscribe(own, this.#listener));
    } catch (error) {
      await Promise.all([this.#publisher.close(), this.#subscriber.close()]);
      throw error;
    }
    this.#started = true;
    this.emit("ready");
  }

  /** Quits the subscriber and any client we created; the user's client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#probe.close();
    await Promise.all([this.#publisher.close(), this.#subscriber.close()]);
  }

  /** Rejects fast with RedisUnavailableError while Redis is down; TypeError if not JSON-able. */
  async publish(message: BusMessage, toNode?: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    // Stamped just before the command's own timer starts, so the deadline falls at least
    // the margin before the moment run() gives up and the say is answered with an error.
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
    await this.#publisher.run((c) => c.publish(channel, raw));
  }

  /** A command on the publisher, bounded as every command (the history's scripts). */
  readonly #send = (_key: string, args: string[]): Promise<unknown> => this.#publisher.run((c) => c.sendCommand(args));

  get history(): boolean {
    return this.#history !== undefined;
  }

  async readHistory(room: string, query: HistoryQuery): Promise<HistoryRead> {
    const history = this.#history;
    if (history === undefined) throw historyOffError();
    return history.read(this.#send, room, query);
  }

  /** Resolves once Redis confirmed the SUBSCRIBE (a no-op on the single channel). */
  async subscribeRoom(room: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    if (this.channels.mode === "single") return;
    const channel = this.channels.room(room);
    await this.#subscriber.run((c) => c.subscribe(channel, this.#listener));
    this.#roomChannels.set(room, channel);
  }

  async unsubscribeRoom(room: string): Promise<void> {
    if (this.channels.mode === "single" || this.#closed) return;
    this.#roomChannels.delete(room);
    await this.#subscriber.run((c) => c.unsubscribe(this.channels.room(room), this.#listener));
  }

  /** Each room's subscription is live when a probe published on its channel comes back. */
  async deadRooms(rooms: Iterable<string>): Promise<string[]> {
    if (this.channels.mode === "single" || !this.ready) return [];
    return this.#probe.deadRooms(rooms, (room, raw) => this.#publisher.run((c) => c.publish(this.channels.room(room), raw)));
  }

  get received(): number {
    return this.#received;
  }

  onMessage(handler: (message: BusMessage) => void): void {
    this.#handlers.push(handler);
  }

  readonly #listener = (raw: string): void => this.#receive(raw);

  #receive(raw: string): void {
    if (this.#closed) return;
    this.#received++;
    if (this.#probe.isProbe(raw)) {
      this.#probe.heard(raw);
      return;
    }
    dispatchBusPayload(raw, this.#handlers, (bad) => this.emit("bad-message", bad), (error) => emitErrorSafely(this, error, this.#log), this.#deadline.inTime);
  }

  #onDown(cause: Error): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.emit("down", cause);
  }

  #onReconnected(connection: RedisConnection): void {
    if (this.#closed) return;
    // node-redis resubscribes before it reports ready, so the channel is live again once
    // the subscriber is back; `resync` waits for the publisher too, so clients told to
    // reload can chat again at once.
    if (connection === this.#subscriber) this.#resyncPending = true;
    if (!this.#publisher.ready || !this.#subscriber.ready) return;
    if (this.#resyncPending) {
      this.#resyncPending = false;
      this.emit("resync");
    }
    if (this.#down) {
      this.#down = false;
      this.emit("ready");
    }
  }
}
