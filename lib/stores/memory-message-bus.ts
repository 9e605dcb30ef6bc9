/**
 * The one-process bus used when no Redis is configured. It behaves like a round trip
 * through Redis on purpose: messages are JSON-encoded (handlers get fresh copies, values
 * JSON cannot carry are rejected at publish) and delivered later, in publish order, never
 * inside `publish()` — so code written against this bus does not break on Redis.
 *
 * Events: `ready`, `error` (a handler threw), `bad-message` (BadBusMessage).
 */
import { EventEmitter } from "node:events";
import type { BusMessage, MessageBus } from "./message-bus.js";
import { dispatchBusPayload, encodeBusMessage } from "./bus-message-codec.js";

export interface MemoryMessageBusOptions {
  /** Where handler errors go when no `error` listener is attached. Default `console.warn`. */
  log?: (message: string) => void;
}

export class MemoryMessageBus extends EventEmitter implements MessageBus {
  readonly #handlers: Array<(message: BusMessage) => void> = [];
  readonly #log: ((message: string) => void) | undefined;
  #closed = false;
  #started = false;

  constructor(options: MemoryMessageBusOptions = {}) {
    super();
    this.#log = options.log;
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

  /** Rejects when the bus is closed or the message cannot be encoded as JSON. */
  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new Error("actionhero-ws: message bus is closed");
    const raw = encodeBusMessage(message);
    // setImmediate runs callbacks in the order they were queued: publish order is kept.
    setImmediate(() => this.deliverRaw(raw));
  }

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
