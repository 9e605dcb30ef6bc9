/**
 * Reply frames exactly as Actionhero shapes them, and every protocol error reply: verb
 * errors, undecodable frames, rate limits, and the fallback messageId they carry.
 */
import { randomUUID } from "node:crypto";
import type { CloseReason, MessageId } from "../connection/connection.js";

/**
 * The id of a reply to a frame without a usable one (missing, malformed, undecodable).
 * Fresh each time, as Actionhero does: the previous frame's id could belong to a request
 * still in flight, whose callback the client would then fire with this error.
 */
export function freshMessageId(): string {
  return randomUUID();
}

/** `{status: "OK", context: "response", data, messageId}`; `data` left out when undefined. */
export function verbOk(data: unknown, messageId: MessageId): Record<string, unknown> {
  const frame: Record<string, unknown> = { status: "OK", context: "response" };
  if (data !== undefined) frame.data = data;
  frame.messageId = messageId;
  return frame;
}

/**
 * Verb errors carry `String(err)`, i.e. the "Error: " prefix, in both status and error;
 * `data` is what the client sent, echoed only when small (see echoOf).
 */
export function verbError(error: unknown, data: unknown, messageId: MessageId): Record<string, unknown> {
  // Always "Error: <message>" (what String(err) gives for a plain Error), whatever the
  // error's class, because clients compare these strings.
  const text = `Error: ${error instanceof Error ? error.message : String(error)}`;
  return { status: text, error: text, context: "response", data: echoOf(data), messageId };
}

/** Most characters of the client's input an error reply echoes (about, as JSON). */
export const maxEchoChars = 1024;

/**
 * What an error reply echoes of a client's value: the value when its JSON is small; else a
 * long string cut to `maxEchoChars` (with "…"), anything else `{}`. A refusal must never
 * cost more to send than the frame cost to receive.
 */
export function echoOf(value: unknown): unknown {
  if (typeof value === "string") return value.length <= maxEchoChars ? value : `${value.slice(0, maxEchoChars)}…`;
  if (typeof value !== "object" || value === null) return value;
  return jsonLengthWithin(value, maxEchoChars) >= 0 ? value : {};
}

/**
 * `budget` minus the (approximate) JSON length of `value`, or a negative number as soon as
 * it is over: the walk stops there, so its cost is bounded by the budget, not by the value.
 */
function jsonLengthWithin(value: unknown, budget: number): number {
  if (typeof value === "string") return budget - value.length - 2;
  if (typeof value !== "object" || value === null) return budget - 8;
  // Binary is never echoed (its bytes would each be a key).
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return -1;
  let left = budget - 2;
  for (const key in value) {
    left = jsonLengthWithin((value as Record<string, unknown>)[key], left - key.length - 4);
    if (left < 0) return left;
  }
  return left;
}

/** The reply to a frame the parser could not decode: nothing of it to echo, no id to keep. */
export function invalidJsonReply(): Record<string, unknown> {
  return verbError(new Error("invalid JSON"), {}, freshMessageId());
}

/** A frame refused by the per-connection token bucket; `retryAfterMs` until the next token. */
export function rateLimitedReply(messageId: MessageId, retryAfterMs: number): Record<string, unknown> {
  return { status: "Error: rate limited", error: "Error: rate limited", retryAfterMs, context: "response", messageId };
}

/** What a request gets when its response cannot be encoded as JSON (a cycle, a BigInt). */
export const unencodableResponse = "the response could not be encoded as JSON";

/** The action error sent instead of a response JSON cannot encode. */
export function unencodableReply(messageId: MessageId): Record<string, unknown> {
  return { error: unencodableResponse, context: "response", messageId };
}

/** Action responses: the response fields flat, then context and messageId. */
export function actionReply(response: Record<string, unknown>, messageId: MessageId): Record<string, unknown> {
  // Same result as `{ ...response, context: "response", messageId }`, but V8 (Node 20) takes
  // a slow path for a spread followed by more keys: ~1.3 µs per reply against ~0.1 µs here
  // (bench/README.md). A "__proto__" key stays an own data key, as spread would keep it.
  const frame: Record<string, unknown> = {};
  // for...in + hasOwn rather than Object.keys: no key array per reply.
  for (const key in response) {
    if (!Object.hasOwn(response, key)) continue;
    if (key === "__proto__") Object.defineProperty(frame, key, { value: response[key], enumerable: true, writable: true, configurable: true });
    else frame[key] = response[key];
  }
  frame.context = "response";
  frame.messageId = messageId;
  return frame;
}

/**
 * The last frame before the server closes a connection on purpose, on every transport:
 * `reason` is a short stable word ("rate limited"), `code` the websocket close code that
 * follows on websockets, `message` says why, `reconnect` whether the client may retry.
 * The generated client emits it as an `api` and a `close` event.
 */
export function closeNotice(close: CloseReason, reconnect: boolean): Record<string, unknown> {
  return { context: "api", event: "close", reason: close.reason, code: close.code, message: close.message, reconnect };
}

/** Sent to every client when the message bus lost its subscription for a moment. */
export function resyncNotice(): Record<string, unknown> {
  return { context: "api", event: "resync", message: "the server lost its message bus for a moment: messages may have been missed" };
}

/**
 * Sent to a room's members on this node when messages of that room were lost between nodes
 * and its history could not fill the gap: the generated client emits `resync` with the room.
 */
export function roomResyncNotice(room: string): Record<string, unknown> {
  return { context: "api", event: "resync", room, message: "messages of this room were lost and cannot be recovered" };
}

/** The error of a frame over the bound of those waiting for connection middleware. */
export function notOpenYet(bound: number): string {
  return `the connection is not open yet (its connection middleware is still running): at most ${bound} frames wait for the welcome`;
}

/**
 * The one frame a connection refused by a connection middleware's `create` receives; the
 * socket is then closed. The generated client does not reconnect after it.
 */
export function refusedNotice(error: unknown): Record<string, unknown> {
  return { context: "api", event: "refused", error: error instanceof Error ? error.message : String(error) };
}
