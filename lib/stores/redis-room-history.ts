/**
 * The Redis store's room history (room-history.ts): per room a stream of the last messages
 * and a hash with the room's epoch and last offset, both keys hash-tagged on the room
 * (`<prefix>chatRoom:history:{<room>}`, `<prefix>chatRoom:historyMeta:{<room>}`), so they
 * share a slot with the room's channel on Redis Cluster.
 *
 * One script per say assigns the offset, appends to the stream (trimmed to `size`) and
 * publishes, so a message is in the history exactly when it was published, in one round
 * trip. When the hash is missing (never written, evicted, Redis flushed or replaced) the
 * script starts a new epoch from Redis' clock and drops any stale stream.
 *
 * A chat message carries its delivery deadline (`deliverBy`, delivery-deadline.ts). Every
 * node drops a late one, but the history would still hand it out on recovery: so a script
 * that Redis runs after the deadline (it stalled, and the sender's `say` already failed)
 * keeps and publishes nothing, and its publish fails (README, "Running several nodes").
 */
import { createHash } from "node:crypto";
import { answerQuery, type HistoryEntry, type HistoryQuery, type HistoryRead, type HistorySettings } from "./room-history.js";
import { hashTag } from "./hash-tag.js";

/** Sends one command; `key` routes it on Redis Cluster (every key of a call shares its slot). */
export type SendCommand = (key: string, args: string[]) => Promise<unknown>;

const APPEND = `
local deadline = tonumber(ARGV[8])
if deadline then
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > deadline then return -1 end
end
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local offset
if not epoch then
  local t = redis.call('TIME')
  local stamp = t[1] .. string.format('%06d', tonumber(t[2]))
  epoch = stamp .. '-' .. string.sub(redis.sha1hex(ARGV[6] .. '\\n' .. stamp), 1, 8)
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 1)
  offset = 1
else
  offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
end
local raw = string.sub(ARGV[2], 1, -2) .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}'
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '*', 'o', offset, 'm', raw)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return redis.call(ARGV[7], ARGV[1], raw)
`;

// ARGV: the since offset and epoch ("" without since), the newest entries wanted ("" for all).
// A `since` at the room's head reads no entry: after a bus reconnect a node asks this of
// every room it follows (chat/gap-repair.ts), and most missed nothing.
const READ = `
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'offset')
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
if ARGV[1] ~= '' and meta[1] == ARGV[2] and meta[2] == ARGV[1] then return {meta[1], meta[2], now, {}} end
local entries
if ARGV[3] ~= '' then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[3])
else
  entries = redis.call('XRANGE', KEYS[1], '-', '+')
end
return {meta[1] or '', meta[2] or '0', now, entries}
`;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const APPEND_SHA = sha1(APPEND);
const READ_SHA = sha1(READ);

export interface HistoryKeys {
  stream(room: string): string;
  meta(room: string): string;
}

export function historyKeys(prefix: string): HistoryKeys {
  return {
    stream: (room) => `${prefix}chatRoom:history:${hashTag(room)}`,
    meta: (room) => `${prefix}chatRoom:historyMeta:${hashTag(room)}`,
  };
}

/** EVALSHA, and EVAL once when Redis does not know the script yet (a restart, SCRIPT FLUSH). */
async function runScript(send: SendCommand, script: string, sha: string, keys: [string, string], args: string[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await send(keys[0], ["EVALSHA", sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return send(keys[0], ["EVAL", script, ...tail]);
  }
}

export class RedisRoomHistory {
  readonly #keys: HistoryKeys;
  readonly #size: string;
  readonly #ttl: string;
  readonly #metaTtl: string;

  /** `publishCommand`: PUBLISH, or SPUBLISH for sharded pub/sub. */
  constructor(prefix: string, private readonly settings: HistorySettings, private readonly publishCommand: "PUBLISH" | "SPUBLISH" = "PUBLISH") {
    this.#keys = historyKeys(prefix);
    this.#size = String(settings.size);
    this.#ttl = String(settings.ttlMs);
    this.#metaTtl = String(Math.max(settings.metaTtlMs, settings.ttlMs));
  }

  /** Appends and publishes `raw` on `channel` in one script; rejects when Redis ran it past `deliverBy` (ms, Redis' clock). */
  async publish(send: SendCommand, room: string, channel: string, raw: string, deliverBy: number | undefined): Promise<void> {
    const reply = await runScript(send, APPEND, APPEND_SHA, [this.#keys.stream(room), this.#keys.meta(room)],
      [channel, raw, this.#size, this.#ttl, this.#metaTtl, room, this.publishCommand, deliverBy === undefined ? "" : String(deliverBy)]);
    if (reply === -1) throw new Error("actionhero-ws: Redis ran the publish after the message's delivery deadline (deliverBy): not delivered");
  }

  async read(send: SendCommand, room: string, query: HistoryQuery): Promise<HistoryRead> {
    // Only the newest `limit` are needed without `since` or `before` (newest first from XREVRANGE).
    const newest = query.since === undefined && query.before === undefined;
    const args = [query.since ? String(query.since.offset) : "", query.since?.epoch ?? "", newest ? String(query.limit) : ""];
    const reply = await runScript(send, READ, READ_SHA, [this.#keys.stream(room), this.#keys.meta(room)], args);
    if (!Array.isArray(reply) || reply.length !== 4) throw new Error("actionhero-ws: unexpected history reply from Redis");
    const [epoch, offset, micros, stream] = reply as [unknown, unknown, unknown, unknown];
    const entries: HistoryEntry[] = [];
    for (const item of Array.isArray(stream) ? stream : []) {
      const [id, fields] = item as [unknown, unknown];
      if (!Array.isArray(fields)) continue;
      entries.push({ offset: Number(fields[1]), at: Number(String(id).split("-")[0]), raw: String(fields[3]) });
    }
    if (newest) entries.reverse();
    const now = Math.floor(Number(String(micros)) / 1000);
    return answerQuery(entries, String(epoch), Number(offset), query, this.settings.ttlMs, now);
  }
}
