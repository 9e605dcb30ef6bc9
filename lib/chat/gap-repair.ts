/**
 * Gap repair between nodes (README, "History and recovery"): this node follows each room's
 * offsets as its messages arrive from the bus. When one jumps (pub/sub lost messages while
 * the subscriber reconnected, a failover, a dead subscription repaired), the missing range
 * is read from the room's history and delivered, in order, before the message that showed
 * the gap and those arriving meanwhile. When the history no longer covers it, the room's
 * members here are told with a room `resync` notice instead.
 *
 * On the delivery path this is one Map lookup and two comparisons per message and node; a
 * gap, the only case that allocates or waits, is rare.
 */
import type { ChatBusMessage } from "../stores/message-bus.js";
import { decodeBusMessage } from "../stores/bus-message-codec.js";
import type { HistoryQuery, HistoryRead } from "../stores/room-history.js";
import type { Logger } from "../logger.js";

export interface GapRepairDeps {
  read(room: string, query: HistoryQuery): Promise<HistoryRead>;
  /** the option `history.size`: the longest range a read can return */
  size: number;
  /** delivers one message to this node's members of its room */
  deliver(message: ChatBusMessage): void;
  /** the gap cannot be filled: tell the room's members here */
  lost(room: string): void;
  logger: Logger;
}

interface Position {
  epoch: string;
  offset: number;
}

export class GapRepair {
  readonly #last = new Map<string, Position>();
  /** rooms being repaired, with the messages that arrived meanwhile */
  readonly #held = new Map<string, ChatBusMessage[]>();
  /** gaps seen (for tests and stats) */
  gaps = 0;

  constructor(private readonly deps: GapRepairDeps) {}

  /** true: deliver the message now; false: a duplicate, or held until the repair under way delivers it. */
  admit(room: string, message: ChatBusMessage): boolean {
    const offset = message.offset as number;
    const epoch = message.epoch as string;
    const held = this.#held.get(room);
    if (held !== undefined) {
      held.push(message);
      return false;
    }
    const last = this.#last.get(room);
    if (last === undefined) {
      this.#last.set(room, { epoch, offset });
      return true;
    }
    if (last.epoch !== epoch || offset === last.offset + 1) {
      // another epoch: the history was lost, there is nothing to fetch
      last.epoch = epoch;
      last.offset = offset;
      return true;
    }
    if (offset <= last.offset) return false;
    this.gaps++;
    this.#held.set(room, [message]);
    void this.#repair(room, last);
    return false;
  }

  /**
   * This node stopped following the room (no local members, or unsubscribed): the next
   * message starts afresh, so a later member is not sent what was said before it joined.
   */
  forget(room: string): void {
    if (!this.#held.has(room)) this.#last.delete(room);
  }

  async #repair(room: string, last: Position): Promise<void> {
    const { deliver, logger } = this.deps;
    try {
      const read = await this.deps.read(room, { since: { offset: last.offset, epoch: last.epoch }, limit: this.deps.size });
      if (!read.covered) {
        this.deps.lost(room);
      } else {
        for (const raw of read.messages) {
          const decoded = decodeBusMessage(raw);
          if (!decoded.ok || decoded.message.messageType !== "chat") continue;
          const message = decoded.message;
          if (message.epoch !== last.epoch || (message.offset as number) <= last.offset) continue;
          last.offset = message.offset as number;
          deliver(message);
        }
      }
    } catch (error) {
      logger.warn({ room, err: String(error) }, "actionhero-ws: could not read a room's history to fill a gap");
      this.deps.lost(room);
    } finally {
      const held = this.#held.get(room) ?? [];
      this.#held.delete(room);
      for (const message of held) {
        if (message.epoch === last.epoch && (message.offset as number) <= last.offset) continue;
        last.epoch = message.epoch as string;
        last.offset = message.offset as number;
        deliver(message);
      }
    }
  }
}
