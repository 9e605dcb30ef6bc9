/**
 * Room names are opaque strings (never patterns), bounded in size and free of control
 * characters so they are safe as Redis keys, log fields and DOM text.
 */
/** C0, DEL and C1 (U+0080–U+009F: terminals take U+009B as an escape, U+0085 as a newline). */
const controlChars = /[\u0000-\u001f\u007f-\u009f]/;

/** Throws a clear Error when `room` cannot be a room name. */
export function assertRoomName(room: unknown, maxBytes: number): asserts room is string {
  if (room === undefined || room === null || room === "") throw new Error("a room is required");
  if (typeof room !== "string") throw new Error(`invalid room name: must be a string, got ${room === null ? "null" : typeof room}`);
  if (room.length === 0) throw new Error("invalid room name: must not be empty");
  if (Buffer.byteLength(room, "utf8") > maxBytes) throw new Error(`invalid room name: longer than ${maxBytes} bytes`);
  if (controlChars.test(room)) throw new Error("invalid room name: contains control characters");
}
