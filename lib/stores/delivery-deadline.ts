/**
 * The delivery deadline of chat messages on a Redis bus (README, "Running several nodes"):
 * a `say` answered with an error must have reached nobody, yet a stalled Redis still runs
 * the publishes it holds once it wakes up. So the publisher stamps each chat message with
 * `deliverBy` (a little under its command timeout) and every receiver drops the ones that
 * arrive later. Messages without a deadline (Actionhero's) are delivered as before.
 */
import type { EventEmitter } from "node:events";
import type { BusMessage } from "./message-bus.js";

/** At most one warning line this often. */
const warnEveryMs = 10_000;

export class DeliveryDeadline {
  #lateDrops = 0;
  #lastWarn = 0;

  /** `bus` gets a `bad-message` event per dropped message; `log` the rate-limited warning. */
  constructor(
    private readonly windowMs: number,
    private readonly bus: EventEmitter,
    private readonly log: ((message: string) => void) | undefined,
  ) {}

  /** The deadline to stamp on `message` now (chat messages only). */
  stamp(message: BusMessage): number | undefined {
    return message.messageType === "chat" ? Date.now() + this.windowMs : undefined;
  }

  /** Shared by every received message: false (and reported) for a chat message past its deadline. */
  readonly inTime = (message: BusMessage): boolean => {
    if (message.messageType !== "chat" || message.deliverBy === undefined || Date.now() <= message.deliverBy) return true;
    this.#late(message.deliverBy);
    return false;
  };

  #late(deliverBy: number): void {
    this.#lateDrops++;
    const now = Date.now();
    this.bus.emit("bad-message", { reason: `chat message arrived ${now - deliverBy} ms after its deadline (deliverBy)`, raw: "" });
    if (now - this.#lastWarn < warnEveryMs) return;
    this.#lastWarn = now;
    this.log?.(`actionhero-ws: dropped chat messages that reached this node after their delivery deadline (${this.#lateDrops} so far): Redis answered their publish late, so their senders may have been told they failed; at most one such line per 10 s`);
  }
}
