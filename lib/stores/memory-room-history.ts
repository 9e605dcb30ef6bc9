/**
 * The embedded store's room history (room-history.ts): in this process's memory, so a
 * restart loses it, and the new epoch then tells clients so.
 */
import { randomBytes } from "node:crypto";
import { answerQuery, epochTag, withOffset, type HistoryEntry, type HistoryQuery, type HistoryRead, type HistorySettings } from "./room-history.js";

interface RoomLog {
  epoch: string;
  offset: number;
  entries: HistoryEntry[];
  lastAt: number;
}

export class MemoryRoomHistory {
  readonly #rooms = new Map<string, RoomLog>();
  /** differs per process, so a restart gives every room a new epoch */
  readonly #process = randomBytes(6).toString("hex");
  #made = 0;

  constructor(private readonly settings: HistorySettings) {}

  /** Keeps a raw bus message of `room` and returns it with its offset and epoch. */
  append(room: string, raw: string): string {
    const now = Date.now();
    let log = this.#rooms.get(room);
    if (log === undefined || log.lastAt < now - this.settings.metaTtlMs) {
      const stamp = `${this.#process}${(++this.#made).toString(16)}`;
      log = { epoch: `${stamp}-${epochTag(room, stamp)}`, offset: 0, entries: [], lastAt: now };
      this.#rooms.set(room, log);
    }
    const offset = ++log.offset;
    const out = withOffset(raw, offset, log.epoch);
    log.entries.push({ offset, at: now, raw: out });
    if (log.entries.length > this.settings.size) log.entries.shift();
    log.lastAt = now;
    return out;
  }

  read(room: string, query: HistoryQuery): HistoryRead {
    const now = Date.now();
    const log = this.#rooms.get(room);
    if (log === undefined || log.lastAt < now - this.settings.metaTtlMs) {
      return answerQuery([], "", 0, query, this.settings.ttlMs, now);
    }
    return answerQuery(log.entries, log.epoch, log.offset, query, this.settings.ttlMs, now);
  }
}
