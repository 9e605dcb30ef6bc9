// Peer: plain socket.io 4.8 (in-memory adapter), or with @socket.io/redis-adapter when
// REDIS_URL is set (one process of a 2-node cluster). `io.to(room).emit` encodes once.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { countFlushes, serveControl, chatPayload } from "./control.mjs";

const port = Number(process.env.PORT);
const server = createServer();
// Compression off, as actionhero-ws runs it (Primus `compression: false`).
const io = new Server(server, { serveClient: false, perMessageDeflate: false, httpCompression: false });

if (process.env.REDIS_URL) {
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const { createClient } = await import("redis");
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  pub.on("error", () => undefined);
  sub.on("error", () => undefined);
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(true);
  });
  socket.on("say", (frame) => {
    io.to(frame.room).emit("say", chatPayload(frame.message, frame.room, socket.id));
  });
  socket.on("action", (params, ack) => {
    if (typeof ack === "function") ack({ echo: params.value });
  });
});

countFlushes(io.engine);
server.listen(port, "127.0.0.1", () => serveControl(port));
