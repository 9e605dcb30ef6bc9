/**
 * Primus's parser, called synchronously on the hot paths. With Primus's own JSON parser
 * (the only one our options accept) this is JSON.stringify/JSON.parse directly, without its
 * callback; any other encoder/decoder is called as Primus would and must answer at once.
 */
import { createRequire } from "node:module";
import type Primus from "primus";

const require = createRequire(import.meta.url);
const json = require("primus/parsers/json") as Pick<Primus, "encoder" | "decoder">;

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
