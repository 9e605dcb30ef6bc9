/**
 * Gap repair between nodes (README, "History and recovery"): this node follows each room's
 * offsets as its messages arrive from the bus. When one jumps (pub/sub lost messages while
 * the subscriber reconnected, a failover, a dead subscription repaired), the missing range
 * is read from the room's history and delivered, in order, before the message that showed
 * the gap and those arriving meanwhile. When the history no longer covers it, the room's
 * members here are told with a room `resync` notice instead.
 *
 * After the bus lost its subscription for a while (its `resync`), `resume` checks each
 * followed room's tail the same way at once, so a gap is filled even when nothing more is
 * said, and the blanket resync notice is not needed (issue 14, deliverable 5).
 *
 * On the delivery path this is one Map lookup and two comparisons per message and node; a
 * gap, the only case that allocates or waits, is rare.
 */
import type { ChatBusMessage, MessageBus } from "../stores/message-bus.js";
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

/**
 * Reads once the bus is up, waiting at most `ms`: a gap shows when the subscriber is back,
 * which may be before the publisher that reads the history is.
 */
export async function readWhenReady(bus: MessageBus, room: string, query: HistoryQuery, ms: number): Promise<HistoryRead> {
  if (!bus.ready) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        bus.off("ready", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      bus.on("ready", done);
    });
  }
  return bus.readHistory(room, query);
}

interface Position {
  epoch: string;
  offset: number;
}

export class GapRepair {
  readonly #last = new Map<string, Position>();
  /** rooms being repaired, with the messages that arrived meanwhile */
  readonly #held = new Map<string, ChatBusMessage[]>();
  /** rooms whose tail must be checked again once the repair under way ends */
  readonly #again = new Set<string>();
  /** the room's head when this node began to follow it, until a first message comes */
  readonly #followedAt = new Map<string, Position>();
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
      this.#followedAt.delete(room);
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
   * The bus may have lost messages of every room (its subscriber reconnected): each room
   * here is read from where this node stands. A room with no known position (nothing
   * received since it was followed) is told to resync only when its history keeps messages
   * that may have been missed; a room with nothing kept lost nothing.
   */
  resume(rooms: Iterable<string>): void {
    for (const room of rooms) {
      let last = this.#last.get(room);
      const followedAt = this.#followedAt.get(room);
      if (last === undefined && followedAt !== undefined && followedAt.epoch !== "" && !this.#held.has(room)) {
        // nothing received since it was followed: what was said after that point is missing
        this.#last.set(room, (last = followedAt));
        this.#followedAt.delete(room);
      }
      if (this.#held.has(room)) {
        this.#again.add(room);
      } else if (last === undefined) {
        void this.#unknown(room, followedAt?.epoch === "");
      } else {
        this.#held.set(room, []);
        void this.#repair(room, last);
      }
    }
  }

  /**
   * This node stopped following the room (no local members, or unsubscribed): the next
   * message starts afresh, so a later member is not sent what was said before it joined.
   */
  forget(room: string): void {
    this.#followedAt.delete(room);
    if (!this.#held.has(room)) this.#last.delete(room);
  }

  /**
   * This node began to follow the room (its subscription is confirmed): its head then is
   * where a quiet room stands after a bus reconnect, so the reconnect reads what followed
   * instead of telling the room's members to resync for messages said before they joined.
   */
  follow(room: string): void {
    if (this.#last.has(room) || this.#followedAt.has(room)) return;
    void this.deps.read(room, { limit: 1 }).then((read) => {
      // epoch "": the room had no history yet, so all it keeps now came after
      if (!this.#last.has(room) && !this.#followedAt.has(room)) this.#followedAt.set(room, { epoch: read.epoch, offset: read.epoch === "" ? 0 : read.offset });
    }, (error: unknown) => this.deps.logger.debug({ room, err: String(error) }, "actionhero-ws: could not read where a room's history stands"));
  }

  async #repair(room: string, last: Position): Promise<void> {
    const { deliver, logger } = this.deps;
    try {
      const read = await this.deps.read(room, { since: { offset: last.offset, epoch: last.epoch }, limit: this.deps.size });
      if (!read.covered) {
        this.deps.lost(room);
        // A tail check (no message held): go on from the room's head, or the next message
        // would show the same gap again and its members would be told twice.
        if (this.#held.get(room)?.length === 0) {
          last.epoch = read.epoch;
          last.offset = read.offset;
        }
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
      if (this.#again.delete(room)) this.resume([room]);
    }
  }

  /** A room with no known position: `emptyWhenFollowed` means all its history came after. */
  async #unknown(room: string, emptyWhenFollowed: boolean): Promise<void> {
    try {
      const read = await this.deps.read(room, { limit: 1 });
      if (read.messages.length === 0) return;
      if (!emptyWhenFollowed) return this.deps.lost(room);
      // a message that came meanwhile made its own position (and its own gap check)
      if (this.#last.has(room) || this.#held.has(room)) return;
      const start = { epoch: read.epoch, offset: 0 };
      this.#last.set(room, start);
      this.#followedAt.delete(room);
      this.#held.set(room, []);
      await this.#repair(room, start);
    } catch (error) {
      this.deps.logger.warn({ room, err: String(error) }, "actionhero-ws: could not read a room's history after a bus reconnect");
      this.deps.lost(room);
    }
  }
}
