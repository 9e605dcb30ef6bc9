// Peer: plain socket.io 4.8 (in-memory adapter), or with @socket.io/redis-adapter when
// REDIS_URL is set (one process of a 2-node cluster). `io.to(room).emit` encodes once.
import { createServer } from "node:http";
import { countFlushes, serveControl } from "./control.mjs";
import { serveChat, socketIoServer } from "./socketio-peer.mjs";

const port = Number(process.env.PORT);
const server = createServer();
const io = socketIoServer(server);

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

serveChat(io);

countFlushes(io.engine);
server.listen(port, "127.0.0.1", () => serveControl(port));
