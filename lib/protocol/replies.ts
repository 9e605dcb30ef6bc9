/** Reply frames exactly as Actionhero shapes them (protocol §3). */
import type { MessageId } from "../connection/connection.js";

/** `{status: "OK", context: "response", data, messageId}`; `data` left out when undefined. */
export function verbOk(data: unknown, messageId: MessageId): Record<string, unknown> {
  const frame: Record<string, unknown> = { status: "OK", context: "response" };
  if (data !== undefined) frame.data = data;
  frame.messageId = messageId;
  return frame;
}

/** Verb errors carry `String(err)`, i.e. the "Error: " prefix, in both status and error. */
export function verbError(error: unknown, data: unknown, messageId: MessageId): Record<string, unknown> {
  const text = error instanceof Error ? String(error) : `Error: ${String(error)}`;
  return { status: text, error: text, context: "response", data, messageId };
}

/** Action responses: the response fields flat, then context and messageId. */
export function actionReply(response: Record<string, unknown>, messageId: MessageId): Record<string, unknown> {
  return { ...response, context: "response", messageId };
}
