/**
 * Room broadcasts on this node with the frame encoded once (primus-transport.md §7.5,
 * design (c)). Chat membership is mirrored into socket.io rooms under a prefixed key, so a
 * broadcast is one `io.local.to(key).emit("message", packet)`: socket.io-adapter encodes
 * the packet once and, with compression off, builds one websocket frame for every member.
 * That costs the same CPU per delivery as plain socket.io, where a `spark.write` per member
 * costs 1.6–1.8x.
 *
 * Fallbacks, in order: Primus outgoing transformers (they may change the frame per spark)
 * or an encoder that does not answer synchronously -> `spark.write` per member; the
 * `websockets`/`engine.io` transformers (no socket.io rooms) -> one encoding shared by every
 * spark. Per-recipient `say` middleware never reaches here: ChatRoom writes per recipient.
 */
import type Primus from "primus";
import { Server as SocketIoServer, type Socket } from "socket.io";
import type { Connection } from "../connection/connection.js";
import { canEncodeOnce, encodeOnce, writeFrameToMany } from "./frame-encoder.js";
import { sparkFor } from "./socket-server.js";
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

/** The socket.io server under Primus, when the transformer is ours. */
function socketIoOf(primus: Primus): SocketIoServer | undefined {
  const service = primus.transformer?.service;
  return service instanceof SocketIoServer ? service : undefined;
}

/** The live socket.io socket of a connection, if it has one. */
function socketOf(connection: Connection): Socket | undefined {
  const socket = sparkFor(connection)?.socket as Socket | null | undefined;
  // socket.io's join() does not check the socket is still connected: a join after the
  // disconnect would leave a dead id in the adapter's room map.
  return socket && socket.connected && typeof socket.join === "function" ? socket : undefined;
}

/** Mirrors a chat join into the socket.io room (no-op on other transformers). */
export function mirrorJoin(primus: Primus | undefined, connection: Connection, room: string): void {
  if (!primus || !socketIoOf(primus)) return;
  void socketOf(connection)?.join(roomKey(room));
}

/** Mirrors a chat leave; a disconnect already clears every socket.io room of the socket. */
export function mirrorLeave(primus: Primus | undefined, connection: Connection, room: string): void {
  if (!primus || !socketIoOf(primus)) return;
  void socketOf(connection)?.leave(roomKey(room));
}

/** The sparks of the members still open on this node. */
function* liveSparks(members: ReadonlySet<Connection>): Generator<Primus.Spark> {
  for (const connection of members) {
    const spark = sparkFor(connection);
    if (spark && !connection.destroyed) yield spark;
  }
}

/**
 * Delivers one chat frame to the local members of `room`: through the mirrored socket.io
 * room when possible, else per spark (see the module comment). Never throws for a closed
 * member; a member whose socket is gone is skipped.
 */
export function broadcastToRoom(primus: Primus, members: ReadonlySet<Connection>, frame: object, room: string): void {
  const io = socketIoOf(primus);
  if (io && canEncodeOnce(primus)) {
    const packet = encodeOnce(primus, frame);
    if (packet !== undefined) {
      markWritten();
      io.local.to(roomKey(room)).emit("message", packet);
      return;
    }
  }
  writeFrameToMany(primus, liveSparks(members), frame);
}
