/**
 * A room's history as clients see it (README, "History and recovery"): the messages a
 * re-joining client missed (`roomAdd` with `since`), and the recent messages of a room
 * (`roomHistory`, `chatRoom.history`). Both come as the chat payloads members receive live,
 * with their `offset` and `epoch`, and pass the same `say` middleware. Every refusal of a
 * client's `since` or options is a clear error; the store's history is stores/room-history.ts.
 */
import type { Connection } from "../connection/connection.js";
import type { ChatBusMessage, MessageBus } from "../stores/message-bus.js";
import { decodeBusMessage } from "../stores/bus-message-codec.js";
import { epochBelongsTo, type HistoryQuery, type HistoryRead, type HistorySince } from "../stores/room-history.js";
import type { ChatMiddlewareChain, ChatPayload } from "./chat-middleware.js";

/** What `roomAdd` with `since` answers once the connection joined. */
export interface RecoveryReply {
  /** false: the missed messages are gone (trimmed, expired, another epoch): the client resyncs */
  recovered: boolean;
  /** why not, when not */
  reason?: string;
  /** the room's epoch and last offset when the history was read */
  epoch: string;
  offset: number;
  /** the missed messages, oldest first (empty when not recovered) */
  messages: ChatPayload[];
}

export interface HistoryOptionsQuery {
  /** how many of the newest messages (default and maximum: the option `history.size`) */
  limit?: number;
  /** only messages with a lower offset (paging back) */
  before?: number;
}

/** Longest epoch we accept from a client (ours are about 30 characters). */
const maxEpochChars = 64;

export const historyErrors = {
  off: "room history is off on this server (option `history`)",
  since: "since must be { offset, epoch } as received in the room's messages",
  offset: "since.offset must be a non-negative integer",
  epoch: "since.epoch must be a non-empty string of at most 64 characters",
  otherRoom: (room: string) => `since.epoch is not an epoch of this room (${room})`,
  ahead: (given: number, last: number) => `since.offset ${given} is ahead of the room's last offset (${last})`,
  options: "history options must be { limit?, before? }",
  limit: (max: number) => `limit must be an integer from 1 to ${max}`,
  before: "before must be a positive integer (an offset)",
} as const;

export interface RoomHistoryReaderDeps {
  bus: MessageBus;
  middleware: ChatMiddlewareChain;
  payloadOf(message: ChatBusMessage): ChatPayload;
  /** the option `history.size` (0 when off) */
  size: number;
}

export class RoomHistoryReader {
  constructor(private readonly deps: RoomHistoryReaderDeps) {}

  /** Throws a clear error for anything but a well-formed `since` of `room`. */
  checkSince(room: string, value: unknown): HistorySince {
    if (!this.deps.bus.history) throw new Error(historyErrors.off);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(historyErrors.since);
    const { offset, epoch } = value as Record<string, unknown>;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw new Error(historyErrors.offset);
    if (typeof epoch !== "string" || epoch === "" || epoch.length > maxEpochChars) throw new Error(historyErrors.epoch);
    if (!epochBelongsTo(room, epoch)) throw new Error(historyErrors.otherRoom(room));
    return { offset, epoch };
  }

  /** Refuses an offset beyond the room's last one in the same epoch (nothing can follow it). */
  async checkNotAhead(room: string, since: HistorySince): Promise<void> {
    const read = await this.deps.bus.readHistory(room, { limit: 1 });
    if (read.epoch === since.epoch && since.offset > read.offset) throw new Error(historyErrors.ahead(since.offset, read.offset));
  }

  /** The messages after `since`, for a connection that just (re)joined the room. */
  async recover(connection: Connection, room: string, since: HistorySince): Promise<RecoveryReply> {
    let read: HistoryRead;
    try {
      read = await this.deps.bus.readHistory(room, { since, limit: this.deps.size });
    } catch (error) {
      return { recovered: false, reason: `history unavailable: ${error instanceof Error ? error.message : String(error)}`, epoch: since.epoch, offset: since.offset, messages: [] };
    }
    if (!read.covered) {
      const reason = read.epoch === since.epoch ? "the missed messages are no longer kept" : "the room's history was lost (new epoch)";
      return { recovered: false, reason, epoch: read.epoch, offset: read.offset, messages: [] };
    }
    return { recovered: true, epoch: read.epoch, offset: read.offset, messages: await this.#payloads(room, read.messages, connection) };
  }

  /** The newest messages of `room`, oldest first; `connection` (when given) gets its `say` middleware's view. */
  async recent(room: string, options: unknown, connection?: Connection): Promise<ChatPayload[]> {
    if (!this.deps.bus.history) throw new Error(historyErrors.off);
    const query = this.#query(options);
    const read = await this.deps.bus.readHistory(room, query);
    return this.#payloads(room, read.messages, connection);
  }

  #query(options: unknown): HistoryQuery {
    const max = this.deps.size;
    if (options === undefined || options === null) return { limit: max };
    if (typeof options !== "object" || Array.isArray(options)) throw new Error(historyErrors.options);
    const { limit = max, before } = options as Record<string, unknown>;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) throw new Error(historyErrors.limit(max));
    if (before !== undefined && (typeof before !== "number" || !Number.isSafeInteger(before) || before < 1)) throw new Error(historyErrors.before);
    return before === undefined ? { limit } : { limit, before };
  }

  async #payloads(room: string, raws: string[], connection?: Connection): Promise<ChatPayload[]> {
    const { middleware, payloadOf } = this.deps;
    const out: ChatPayload[] = [];
    for (const raw of raws) {
      const decoded = decodeBusMessage(raw);
      // Only our script writes these keys; anything else there is skipped, not trusted.
      if (!decoded.ok || decoded.message.messageType !== "chat" || decoded.message.connection.room !== room) continue;
      const payload = payloadOf(decoded.message);
      const seen = connection && middleware.hasSay ? await middleware.runSay(connection, room, payload) : payload;
      if (seen) out.push(seen);
    }
    return out;
  }
}
