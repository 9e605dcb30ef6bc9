/**
 * Room broadcasts on this node with the frame encoded once. Chat membership is mirrored
 * into socket.io rooms under a prefixed key (`roomMirror`, which the chat membership
 * calls), so a broadcast is one `io.local.to(key).emit("message", packet)`: socket.io's
 * adapter encodes the packet once and, with compression off, builds one websocket frame
 * for every member. That costs the same CPU per delivery as plain socket.io, where a
 * `spark.write` per member costs 1.6–1.8x (bench/README.md).
 *
 * Fallbacks, in order: Primus outgoing transformers (they may change the frame per spark)
 * or an encoder that does not answer synchronously -> a write per member; the
 * `websockets`/`engine.io` transformers (no socket.io rooms) -> one encoding shared by every
 * member. Per-recipient `say` middleware never reaches here: the chat writes per recipient.
 */
import type Primus from "primus";
import { Server as SocketIoServer } from "socket.io";
import { transportOf, type Connection } from "../connection/connection.js";
import { canEncodeOnce, encodeOnce } from "./frame-codec.js";
import { markWritten } from "./outbound-sweeper.js";

/**
 * Prefix of the mirrored socket.io rooms. socket.io also puts every socket in a room named
 * after its id (our spark id), so an unprefixed chat room could reach a single socket.
 */
export const roomKeyPrefix = "ah:";

/** The socket.io room that mirrors chat room `room`. */
export function roomKey(room: string): string {
  return roomKeyPrefix + room;
}

/** Mirrors chat membership into the transport's groups (socket.io rooms). */
export const roomMirror = {
  joined(connection: Connection, room: string): void {
    connection[transportOf].joinGroup?.(roomKey(room));
  },
  left(connection: Connection, room: string): void {
    connection[transportOf].leaveGroup?.(roomKey(room));
  },
};

/** The socket.io server under Primus, when the transformer is ours. */
function socketIoOf(primus: Primus): SocketIoServer | undefined {
  const service = primus.transformer?.service;
  return service instanceof SocketIoServer ? service : undefined;
}

/**
 * Delivers one chat frame to the local members of `room`: through the mirrored socket.io
 * room when possible, else per member (see the module comment). Never throws for a closed
 * member; a member whose socket is gone is skipped.
 */
export function broadcastToRoom(primus: Primus, members: ReadonlySet<Connection>, frame: object, room: string): void {
  markWritten();
  const packet = canEncodeOnce(primus) ? encodeOnce(primus, frame) : undefined;
  const io = socketIoOf(primus);
  if (io && packet !== undefined) {
    io.local.to(roomKey(room)).emit("message", packet);
    return;
  }
  for (const connection of members) {
    if (connection.destroyed) continue;
    const transport = connection[transportOf];
    if (packet !== undefined && transport.writeEncoded) transport.writeEncoded(packet);
    else transport.write(frame);
  }
}
