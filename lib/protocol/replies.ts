/**
 * Reply frames exactly as Actionhero shapes them, and every protocol error reply: verb
 * errors, undecodable frames, rate limits, and the fallback messageId they carry.
 */
import { randomUUID } from "node:crypto";
import type { MessageId } from "../connection/connection.js";

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

/** Verb errors carry `String(err)`, i.e. the "Error: " prefix, in both status and error. */
export function verbError(error: unknown, data: unknown, messageId: MessageId): Record<string, unknown> {
  // Always "Error: <message>" (what String(err) gives for a plain Error), whatever the
  // error's class, because clients compare these strings.
  const text = `Error: ${error instanceof Error ? error.message : String(error)}`;
  return { status: text, error: text, context: "response", data, messageId };
}

/** The reply to a frame the parser could not decode: nothing of it to echo, no id to keep. */
export function invalidJsonReply(): Record<string, unknown> {
  return verbError(new Error("invalid JSON"), {}, freshMessageId());
}

/** A frame refused by the per-connection token bucket; `retryAfterMs` until the next token. */
export function rateLimitedReply(messageId: MessageId, retryAfterMs: number): Record<string, unknown> {
  return { status: "Error: rate limited", error: "Error: rate limited", retryAfterMs, context: "response", messageId };
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
 * The last frame before the server closes a connection on purpose: `reason` is a short
 * stable word ("rate limited"), `message` says which limit. The generated client emits it
 * as an `api` event.
 */
export function closeNotice(reason: string, message: string): Record<string, unknown> {
  return { context: "api", event: "close", reason, message };
}
