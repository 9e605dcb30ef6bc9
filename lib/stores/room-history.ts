/**
 * A room's history (README, "History and recovery"): every chat message published to a room
 * gets the next integer `offset` of that room and the room's `epoch`, and the last
 * messages are kept, bounded by count (`size`) and age (`ttlMs`). The epoch changes
 * whenever the history is lost (the memory store restarted, the Redis keys evicted or
 * flushed), so a client holding an offset of the old epoch learns that it cannot recover.
 *
 * An epoch is `<stamp>-<tag>`, the tag being the first 8 hex digits of sha1(room + "\n" +
 * stamp): a `since` that carries another room's epoch is refused as a mistake instead of
 * being treated as a lost history. This is a check against mix-ups, not a secret.
 */
import { createHash } from "node:crypto";

/** Resolved `history` option (defaults in options.ts). */
export interface HistorySettings {
  /** messages kept per room */
  size: number;
  /** messages older than this are no longer served */
  ttlMs: number;
  /** how long a silent room keeps its epoch and offset (so a quiet room does not look lost) */
  metaTtlMs: number;
}

/** Where a client's view of a room ended: the last offset it received, and its epoch. */
export interface HistorySince {
  offset: number;
  epoch: string;
}

export interface HistoryQuery {
  /** the messages after this point (recovery); `covered` says whether all of them are still kept */
  since?: HistorySince;
  /** at most this many, the newest ones (both queries) */
  limit: number;
  /** only offsets below this (paging back through `roomHistory`) */
  before?: number;
}

export interface HistoryRead {
  /** the room's epoch now ("" when the room has no history yet) */
  epoch: string;
  /** the room's last offset now (0 when none) */
  offset: number;
  /**
   * For `since`: false when the epoch differs or the kept history starts after the gap,
   * i.e. the client missed messages that are gone. Always true without `since`.
   */
  covered: boolean;
  /** raw bus messages (JSON, carrying `offset` and `epoch`), oldest first */
  messages: string[];
}

/** One kept message: its offset, when it was kept (ms), and its raw bus JSON. */
export interface HistoryEntry {
  offset: number;
  at: number;
  raw: string;
}

/** What a bus's `readHistory` throws when the option `history` is false (every bus the same). */
export function historyOffError(): Error {
  return new Error("actionhero-ws: room history is off (option `history`)");
}

export function epochTag(room: string, stamp: string): string {
  return createHash("sha1").update(`${room}\n${stamp}`).digest("hex").slice(0, 8);
}

/** true when `epoch` has the shape of an epoch made for `room` (see the file comment). */
export function epochBelongsTo(room: string, epoch: string): boolean {
  const dash = epoch.lastIndexOf("-");
  return dash > 0 && epoch.slice(dash + 1) === epochTag(room, epoch.slice(0, dash));
}

/** The raw bus JSON with `offset` and `epoch` appended (every bus message is a JSON object). */
export function withOffset(raw: string, offset: number, epoch: string): string {
  return `${raw.slice(0, -1)},"offset":${offset},"epoch":"${epoch}"}`;
}

/**
 * Answers a query from the entries a store kept (oldest first), the same way for both
 * stores: entries older than `ttlMs` at `now` do not count as kept.
 */
export function answerQuery(entries: readonly HistoryEntry[], epoch: string, offset: number, query: HistoryQuery, ttlMs: number, now: number): HistoryRead {
  const fresh = entries.filter((entry) => entry.at >= now - ttlMs);
  if (query.since !== undefined) {
    const { since } = query;
    if (since.epoch !== epoch || offset < since.offset) return { epoch, offset, covered: false, messages: [] };
    if (since.offset === offset) return { epoch, offset, covered: true, messages: [] };
    const first = fresh[0];
    if (first === undefined || first.offset > since.offset + 1) return { epoch, offset, covered: false, messages: [] };
    const missed = fresh.filter((entry) => entry.offset > since.offset);
    if (missed.length > query.limit) return { epoch, offset, covered: false, messages: [] };
    return { epoch, offset, covered: true, messages: missed.map((entry) => entry.raw) };
  }
  const before = query.before;
  const wanted = before === undefined ? fresh : fresh.filter((entry) => entry.offset < before);
  return { epoch, offset, covered: true, messages: wanted.slice(Math.max(0, wanted.length - query.limit)).map((entry) => entry.raw) };
}
