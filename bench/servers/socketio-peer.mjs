// The socket.io peer's server and event handlers, as every socket.io bench server runs them:
// `join` (acked), `say` (one `io.to(room).emit` of Actionhero's chat payload: encoded once),
// and `action` (acked echo) where the server answers round trips.
import { Server } from "socket.io";
import { chatPayload } from "./control.mjs";

/** Compression off, as actionhero-ws runs it (Primus `compression: false`). */
export function socketIoServer(httpServer) {
  return new Server(httpServer, { serveClient: false, perMessageDeflate: false, httpCompression: false });
}

export function serveChat(io, { actions = true } = {}) {
  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack(true);
    });
    socket.on("say", (frame) => {
      io.to(frame.room).emit("say", chatPayload(frame.message, frame.room, socket.id));
    });
    if (actions) {
      socket.on("action", (params, ack) => {
        if (typeof ack === "function") ack({ echo: params.value });
      });
    }
  });
}
