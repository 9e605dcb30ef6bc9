/**
 * How frames become packets and back, synchronously, on the hot paths.
 *
 * Primus's parser: with its JSON parser (the only one our options accept) this is
 * JSON.stringify/JSON.parse directly, without its callback; any other encoder/decoder is
 * called as Primus would and must answer at once. Packets are byte for byte what
 * `Spark#_write` sends (its U+2028/U+2029 escaping included), so one encoding can be
 * shared by many sparks.
 *
 * Object frames: for clients built from our library, a frame travels as the socket.io
 * event argument itself, so socket.io's JSON is its only encoding (with Primus's JSON
 * inside socket.io every frame would be encoded and parsed twice: ~8 % of an action round
 * trip, bench/README.md). Our transformer's client half announces it with
 * `?_objectFrames=1`; every other client keeps getting strings, and Primus's JSON decoder
 * passes an object through unchanged, so the server accepts both from anyone.
 */
import { createRequire } from "node:module";
import type Primus from "primus";

const require = createRequire(import.meta.url);
const json = require("primus/parsers/json") as Pick<Primus, "encoder" | "decoder">;

/** The handshake query key our client half sends to take object frames. */
export const objectFramesQuery = "_objectFrames";

/** What `decode` returns when the decoder failed or did not answer synchronously. */
export const undecoded: unique symbol = Symbol("undecoded");

// Where the parser's callback leaves its result: shared callbacks, no closure per frame.
let encoded: unknown;
function takeEncoded(err: unknown, packet: unknown): void {
  encoded = err ? undefined : packet;
}
let decoded: unknown = undecoded;
function takeDecoded(err: unknown, value: unknown): void {
  decoded = err ? undecoded : value;
}

/** The encoded packet, or undefined when encoding failed or was not synchronous. */
export function encode(primus: Primus, value: unknown): string | undefined {
  if (primus.encoder === json.encoder) {
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }
  encoded = undefined;
  primus.encoder(value, takeEncoded);
  const packet = encoded;
  encoded = undefined;
  return typeof packet === "string" ? packet : undefined;
}

/** True when `encode` is JSON.stringify itself: undefined from it then means "cannot be encoded". */
export function encodesJson(primus: Primus): boolean {
  return primus.encoder === json.encoder;
}

/** The decoded value, or `undecoded` (Primus's own path then reports the error). */
export function decode(primus: Primus, spark: Primus.Spark, raw: unknown): unknown {
  if (primus.decoder === json.decoder) {
    // Primus's JSON decoder passes anything but a string through unchanged.
    if (typeof raw !== "string") return raw;
    try {
      return JSON.parse(raw);
    } catch {
      return undecoded;
    }
  }
  decoded = undecoded;
  primus.decoder.call(spark, raw, takeDecoded);
  const value = decoded;
  decoded = undecoded;
  return value;
}

const u2028 = /\u2028/g;
const u2029 = /\u2029/g;
const lineSeparators = /[\u2028\u2029]/;

/** The packet `Spark#_write` would send, or undefined when the encoder is not synchronous. */
export function encodeOnce(primus: Primus, frame: unknown): string | undefined {
  const packet = encode(primus, frame);
  if (packet === undefined) return undefined;
  // One scan for both separators (they are rare); replace only when one is there.
  return lineSeparators.test(packet) ? packet.replace(u2028, "\\u2028").replace(u2029, "\\u2029") : packet;
}

/**
 * True when a frame may be encoded once and handed to sparks as is: no Primus outgoing
 * transformer is registered (those may change the frame per spark).
 */
export function canEncodeOnce(primus: Primus): boolean {
  return primus.transformers.outgoing.length === 0;
}

/** Deepest value sent as an object; deeper ones (or cycles) go through Primus's JSON. */
const maxObjectDepth = 32;

/**
 * True when socket.io would encode `value` exactly as JSON.stringify does: no binary
 * (socket.io would send it as an attachment), no BigInt (socket.io would throw), not
 * deeper than 32 levels (a cycle would overflow socket.io's own walk).
 */
export function isPlainJson(value: unknown, depth = 1): boolean {
  if (typeof value === "bigint") return false;
  if (typeof value !== "object" || value === null) return true;
  if (depth > maxObjectDepth || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Blob) return false;
  // for...in: no key array; inherited enumerable keys are not sent by JSON either, but
  // checking them too only makes the test stricter.
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if ((typeof child === "object" && child !== null) || typeof child === "bigint") {
      if (!isPlainJson(child, depth + 1)) return false;
    }
  }
  return true;
}
