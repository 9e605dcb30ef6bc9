/**
 * Checks on inbound frames before anything runs: shape, messageId, and keys that would
 * reach an object's prototype.
 */
import { randomUUID } from "node:crypto";
import type { MessageId } from "../connection/connection.js";
import type { BadFrameReason } from "../stats/counters.js";

const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

/** A frame refused before it ran; `reason` is the bounded label counted in metrics. */
export class FrameError extends Error {
  constructor(message: string, readonly reason: BadFrameReason = "other") {
    super(message);
  }
}

/** The frame as a plain object, or a FrameError naming what is wrong. */
export function asFrameObject(data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    const kind = data === null ? "null" : Array.isArray(data) ? "an array" : typeof data;
    throw new FrameError(`frame must be a JSON object with an "event" key (got ${kind})`, "not_object");
  }
  return data as Record<string, unknown>;
}

/** A client id is echoed back as is when it is a short string or a number; missing -> a UUID. */
export function messageIdOf(frame: Record<string, unknown>, maxLength: number): { id: MessageId; error?: string } {
  const raw = frame.messageId;
  if (raw === undefined || raw === null || raw === "" || raw === 0 || raw === false) return { id: randomUUID() };
  if (typeof raw === "number" && Number.isFinite(raw)) return { id: raw };
  if (typeof raw === "string" && raw.length <= maxLength) return { id: raw };
  return { id: randomUUID(), error: `messageId must be a number or a string of at most ${maxLength} characters` };
}

/** Deepest nesting of objects/arrays a frame may have (the frame itself is level 1). */
export const maxFrameDepth = 32;

/**
 * True when `value` nests objects/arrays deeper than `max` levels. Such a frame is refused:
 * echoing it (verb errors echo the frame) or storing it would overflow JSON.stringify's
 * stack, and the forbidden-key scan below stops at that depth.
 */
export function nestedDeeperThan(value: unknown, max: number, depth = 1): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (depth > max) return true;
  for (const child of Object.values(value)) {
    if (nestedDeeperThan(child, max, depth + 1)) return true;
  }
  return false;
}

/** Finds a `__proto__`/`constructor`/`prototype` key anywhere in the value. */
export function findForbiddenKey(value: unknown, depth = 0): string | undefined {
  if (typeof value !== "object" || value === null || depth > 32) return undefined;
  for (const key of Object.keys(value)) {
    if (forbiddenKeys.has(key)) return key;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A shallow copy into an object without a prototype, so no key can reach Object.prototype. */
export function nullPrototypeCopy(value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) copy[k] = v;
  }
  return copy;
}
