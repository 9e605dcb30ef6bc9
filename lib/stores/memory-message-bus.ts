/**
 * The one-process bus used when no Redis is configured. It behaves like a round trip
 * through Redis on purpose: messages are JSON-encoded (handlers get fresh copies, values
 * JSON cannot carry are rejected at publish) and delivered later, in publish order, never
 * inside `publish()` — so code written against this bus does not break on Redis. Like a
 * per-room Redis channel, a room's chat messages are delivered only while it is subscribed.
 *
 * Events: `ready`, `error` (a handler threw), `bad-message` (BadBusMessage).
 */
import { EventEmitter } from "node:events";
import type { BusMessage, MessageBus } from "./message-bus.js";
import { dispatchBusPayload, encodeBusMessage } from "./bus-message-codec.js";
import { MemoryRoomHistory } from "./memory-room-history.js";
import { historyOffError, type HistoryQuery, type HistoryRead, type HistorySettings } from "./room-history.js";

export interface MemoryMessageBusOptions {
  /** Where handler errors go when no `error` listener is attached. Default `console.warn`. */
  log?: (message: string) => void;
  /** Keep each room's history (option `history`); off when absent or false. */
  history?: HistorySettings | false;
}

export class MemoryMessageBus extends EventEmitter implements MessageBus {
  readonly #handlers: Array<(message: BusMessage) => void> = [];
  readonly #log: ((message: string) => void) | undefined;
  readonly #rooms = new Set<string>();
  #closed = false;
  #started = false;
  #received = 0;
  readonly #history: MemoryRoomHistory | undefined;

  constructor(options: MemoryMessageBusOptions = {}) {
    super();
    this.#log = options.log;
    this.#history = options.history ? new MemoryRoomHistory(options.history) : undefined;
  }

  get history(): boolean {
    return this.#history !== undefined;
  }

  async readHistory(room: string, query: HistoryQuery): Promise<HistoryRead> {
    if (this.#history === undefined) throw historyOffError();
    return this.#history.read(room, query);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    this.#started = true;
    this.emit("ready");
  }

  get ready(): boolean {
    return this.#started && !this.#closed;
  }

  /** Stops delivery, including of messages published but not yet delivered. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /**
   * Rejects when the bus is closed or the message cannot be encoded as JSON. Delivery is
   * later, in publish order, and every message published before the next turn of the event
   * loop goes out in that one turn: the broadcasts of several says that arrived together
   * then queue behind each other's socket writes and leave in one flush per socket, as
   * socket.io's do (one turn per message would flush every socket once per message).
   */
  async publish(message: BusMessage, _toNode?: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    let raw = encodeBusMessage(message);
    // Kept whether or not the room is subscribed here, as the Redis script does.
    if (this.#history !== undefined && message.messageType === "chat") raw = this.#history.append(message.connection.room, raw);
    // One node: a command or reply is always for this node; a room's chat only when subscribed.
    if (message.messageType === "chat" && !this.#rooms.has(message.connection.room)) return;
    this.#queue.push(raw);
    if (this.#queue.length === 1) setImmediate(this.#drain);
  }

  async subscribeRoom(room: string): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    this.#rooms.add(room);
  }

  async unsubscribeRoom(room: string): Promise<void> {
    this.#rooms.delete(room);
  }

  /** In one process a subscription cannot be lost. */
  async deadRooms(): Promise<string[]> {
    return [];
  }

  get received(): number {
    return this.#received;
  }

  readonly #queue: string[] = [];
  readonly #drain = (): void => {
    // Taken first: a handler that publishes starts the next batch, delivered in the next turn.
    const batch = this.#queue.splice(0);
    for (const raw of batch) this.deliverRaw(raw);
  };

  onMessage(handler: (message: BusMessage) => void): void {
    this.#handlers.push(handler);
  }

  /**
   * Delivers one raw channel payload now, exactly as a payload arriving from Redis would be
   * handled (malformed ones become `bad-message`). A seam for tests and for simulating
   * messages from other nodes.
   */
  deliverRaw(raw: string): void {
    if (this.#closed) return;
    this.#received++;
    dispatchBusPayload(raw, this.#handlers, (bad) => this.emit("bad-message", bad), (error) => this.#reportHandlerError(error));
  }

  /** An unheard `error` event would throw out of the delivery loop: log it instead. */
  #reportHandlerError(wrapped: Error): void {
    if (this.listenerCount("error") > 0) {
      this.emit("error", wrapped);
    } else {
      (this.#log ?? ((message: string) => console.warn(message)))(`actionhero-ws: message handler threw: ${wrapped.message}`);
    }
  }
}
