/**
 * The wire form of bus messages, shared by both buses so the in-memory bus behaves like a
 * round trip through Redis. Anything on the channel may be garbage (another program, an
 * older version, an attacker with Redis access): decoding never throws, it says why.
 */
import type { BusMessage } from "./message-bus.js";

export type DecodedBusMessage =
  | { ok: true; message: BusMessage }
  | { ok: false; reason: string };

/** A message the bus dropped, as given to the `bad-message` event. */
export interface BadBusMessage {
  reason: string;
  /** the raw payload, cut to 1 KiB */
  raw: string;
}

const RAW_EXCERPT_CHARS = 1024;

/**
 * JSON text of a message, with `deliverBy` when given; throws (TypeError) on values JSON
 * cannot carry, e.g. BigInt.
 */
export function encodeBusMessage(message: BusMessage, deliverBy?: number): string {
  const json = JSON.stringify(message);
  // Appended to the text rather than set on the caller's object, which stays as given
  // (every bus message is a non-empty object, so its JSON ends with "}").
  return deliverBy === undefined ? json : `${json.slice(0, -1)},"deliverBy":${deliverBy}}`;
}

/** Parses and shape-checks one payload from the channel. */
export function decodeBusMessage(raw: string): DecodedBusMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "invalid JSON" };
  }
  if (!isObject(value)) return { ok: false, reason: "not a JSON object" };
  const problem = shapeProblem(value);
  return problem === undefined ? { ok: true, message: value as unknown as BusMessage } : { ok: false, reason: problem };
}

/** The `bad-message` event payload for a dropped raw message. */
export function badMessage(reason: string, raw: string): BadBusMessage {
  return { reason, raw: raw.length > RAW_EXCERPT_CHARS ? raw.slice(0, RAW_EXCERPT_CHARS) : raw };
}

function shapeProblem(m: Record<string, unknown>): string | undefined {
  if (typeof m.serverToken !== "string") return "serverToken must be a string";
  if (typeof m.serverId !== "string") return "serverId must be a string";
  switch (m.messageType) {
    case "chat": {
      const connection = m.connection;
      if (!isObject(connection) || typeof connection.id !== "string" || typeof connection.room !== "string") {
        return "chat message needs connection {id, room} strings";
      }
      if (typeof m.sentAt !== "number") return "chat message needs a numeric sentAt";
      if (m.deliverBy !== undefined && typeof m.deliverBy !== "number") return "chat message deliverBy must be a number";
      if (m.offset !== undefined && !(Number.isSafeInteger(m.offset) && typeof m.epoch === "string")) return "chat message offset must be an integer with a string epoch";
      return undefined;
    }
    case "do":
      if (typeof m.messageId !== "string") return "do message needs a string messageId";
      if (typeof m.method !== "string") return "do message needs a string method";
      if (!Array.isArray(m.args)) return "do message needs an args array";
      // Actionhero may send `connectionId: null` for "every node"; same as absent.
      if (m.connectionId === null) delete m.connectionId;
      if (m.connectionId !== undefined && typeof m.connectionId !== "string") {
        return "do message connectionId must be a string";
      }
      return undefined;
    case "doResponse":
      if (typeof m.messageId !== "string") return "doResponse message needs a string messageId";
      if (m.error !== undefined && typeof m.error !== "string") return "doResponse error must be a string";
      return undefined;
    default:
      return "unknown messageType";
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes one raw channel payload and hands it to every handler. A malformed payload goes
 * to `onBad`; a throwing handler goes to `onHandlerError` and the others still run (so a
 * bad handler can break neither delivery nor the Redis client's parser). A message
 * `accept` refuses reaches no handler.
 */
export function dispatchBusPayload(
  raw: string,
  handlers: ReadonlyArray<(message: BusMessage) => void>,
  onBad: (bad: BadBusMessage) => void,
  onHandlerError: (error: Error) => void,
  accept?: (message: BusMessage) => boolean,
): void {
  const decoded = decodeBusMessage(raw);
  if (!decoded.ok) {
    onBad(badMessage(decoded.reason, raw));
    return;
  }
  if (accept !== undefined && !accept(decoded.message)) return;
  for (const handler of handlers) {
    try {
      handler(decoded.message);
    } catch (error) {
      onHandlerError(error instanceof Error ? error : new Error(`message handler threw: ${String(error)}`));
    }
  }
}
