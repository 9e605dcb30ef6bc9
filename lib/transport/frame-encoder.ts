/**
 * Encodes a frame once for many sparks, byte for byte what `Spark#_write` would send:
 * Primus's JSON encoder plus its U+2028/U+2029 escaping.
 */
import type Primus from "primus";
import { encode, encodesJson } from "./primus-codec.js";
import { sendFrameObject, sendPacket } from "./spark-fast-path.js";
import { markWritten } from "./outbound-sweeper.js";

const u2028 = /\u2028/g;
const u2029 = /\u2029/g;
const lineSeparators = /[\u2028\u2029]/;

/** The encoded packet, or undefined when the encoder is not synchronous (then write per spark). */
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

/** Hands an encoded packet to the transformer (the event `Spark#_write` ends in). */
function emitPacket(primus: Primus, spark: Primus.Spark, packet: string): void {
  if (spark.readyState !== primus.Spark.CLOSED) sendPacket(spark, packet);
}

/**
 * `spark.write(frame)` with the same bytes on the wire, minus Primus's per-write transform
 * pipeline when no outgoing transformer is registered (that pipeline allocates a packet
 * and a closure per write; every reply takes this path). A client that takes object
 * frames gets the frame itself (object-frames.ts): the same value once decoded.
 * Returns false only when JSON cannot encode the frame (a cycle, a BigInt): nothing was
 * sent, and the caller can answer with an error instead.
 */
export function writeFrame(primus: Primus, spark: Primus.Spark, frame: unknown): boolean {
  markWritten();
  if (canEncodeOnce(primus)) {
    if (spark.readyState === primus.Spark.CLOSED) return true;
    if (typeof frame === "object" && frame !== null && sendFrameObject(spark, frame)) return true;
    const packet = encodeOnce(primus, frame);
    if (packet !== undefined) return (emitPacket(primus, spark, packet), true);
    if (encodesJson(primus)) return false;
  }
  spark.write(frame);
  return true;
}

/** One frame to many sparks, encoded once when Primus allows, else `spark.write` each. */
export function writeFrameToMany(primus: Primus, sparks: Iterable<Primus.Spark>, frame: unknown): void {
  markWritten();
  const packet = canEncodeOnce(primus) ? encodeOnce(primus, frame) : undefined;
  for (const spark of sparks) {
    if (packet === undefined) spark.write(frame);
    else emitPacket(primus, spark, packet);
  }
}
