/**
 * Object frames: for clients built from our library, a frame travels as the socket.io
 * event argument itself, so socket.io's JSON is its only encoding. With Primus's JSON
 * parser inside socket.io every frame is encoded twice (Primus's JSON string, then
 * socket.io's JSON of that string, escaping every quote) and parsed twice; on an action
 * round trip that is ~8 % of the server's instructions (bench/README.md).
 *
 * Our transformer's client half announces it with `?_objectFrames=1` and then sends plain
 * JSON values as objects; the server answers such a client with objects. Every other
 * client (a raw socket.io-client, Primus's own JSON framing) keeps getting strings, and
 * Primus's JSON decoder already passes an object through unchanged, so the server accepts
 * both from anyone. Room broadcasts stay one shared string for every member.
 */

/** The handshake query key our client half sends. */
export const objectFramesQuery = "_objectFrames";

/** Deepest value sent as an object; deeper ones (or cycles) go through Primus's JSON. */
const maxDepth = 32;

/**
 * True when socket.io would encode `value` exactly as JSON.stringify does: no binary
 * (socket.io would send it as an attachment), no BigInt (socket.io would throw), not
 * deeper than 32 levels (a cycle would overflow socket.io's own walk).
 */
export function isPlainJson(value: unknown, depth = 1): boolean {
  if (typeof value === "bigint") return false;
  if (typeof value !== "object" || value === null) return true;
  if (depth > maxDepth || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Blob) return false;
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
