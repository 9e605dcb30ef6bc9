/**
 * Checks on inbound frames before anything runs: shape, messageId, and keys that would
 * reach an object's prototype.
 */
import type { MessageId } from "../connection/connection.js";
import type { BadFrameReason } from "../stats/counters.js";
import { prototypeFree } from "../connection/prototype-free.js";
import { freshMessageId } from "./replies.js";

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
  if (raw === undefined || raw === null || raw === "" || raw === 0 || raw === false) return { id: freshMessageId() };
  if (typeof raw === "number" && Number.isFinite(raw)) return { id: raw };
  if (typeof raw === "string" && raw.length <= maxLength) return { id: raw };
  return { id: freshMessageId(), error: `messageId must be a number or a string of at most ${maxLength} characters` };
}

/** Deepest nesting of objects/arrays a frame may have (the frame itself is level 1). */
export const maxFrameDepth = 32;

/**
 * One walk over a client's value: a `__proto__`/`constructor`/`prototype` key anywhere,
 * binary (a Buffer, typed array or ArrayBuffer) anywhere, or objects/arrays nested deeper
 * than `max` levels (echoing such a frame in an error, or
 * storing it, would overflow JSON.stringify's stack). Returns the first problem found.
 */
export function inspectClientValue(value: unknown, max: number, where = "a frame"): FrameError | undefined {
  return walk(value, max, 1, where);
}

function walk(value: unknown, max: number, depth: number, where: string): FrameError | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  // Before any key is read: socket.io hands binary over as Buffers, whose every byte would
  // be a key (a frame of 60 KB walked, spread into a verb's words and echoed as JSON).
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return new FrameError("binary frames are not supported", "binary");
  if (depth > max) return new FrameError(`frame nested deeper than ${max} levels`, "too_deep");
  // for...in: values from JSON.parse have no inherited enumerable keys, and it allocates
  // no key array on this per-frame path.
  for (const key in value) {
    if (forbiddenKeys.has(key)) return new FrameError(`key "${key}" is not allowed in ${where}`, "forbidden_key");
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === "object" && child !== null) {
      const problem = walk(child, max, depth + 1, where);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** A shallow copy into an object without a prototype, so no key can reach Object.prototype. */
export function nullPrototypeCopy(value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = prototypeFree();
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    // for...in, not Object.entries: no pair arrays on this per-action path. Only own keys:
    // values from JSON.parse have no inherited enumerable ones, but callers may pass others.
    for (const key in value) if (Object.hasOwn(value, key)) copy[key] = (value as Record<string, unknown>)[key];
  }
  return copy;
}
