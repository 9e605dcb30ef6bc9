// One socket.io 4.8 node of the scale-out bench (bench/scaleout.mjs). Env: PORT, ADAPTER
// ("classic": @socket.io/redis-adapter's createAdapter; "sharded": createShardedAdapter,
// subscriptionMode "dynamic", a channel per room), and REDIS_URL or REDIS_CLUSTER_NODES
// (node-redis createCluster). `received` over IPC answers with the messages the adapter's
// subscriber handed it: its message handler (`onmessage` / `onRawMessage`) is counted, since
// both adapters look it up on the instance for every message.
import { createServer } from "node:http";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient, createCluster } from "redis";
import { serveControl, chatPayload } from "./control.mjs";
import { serveChat, socketIoServer } from "./socketio-peer.mjs";

const server = createServer();
const io = socketIoServer(server);
const cluster = process.env.REDIS_CLUSTER_NODES?.split(",").map((url) => ({ url }));
const pub = cluster ? createCluster({ rootNodes: cluster }) : createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
pub.on("error", () => undefined);
sub.on("error", () => undefined);
await Promise.all([pub.connect(), sub.connect()]);
const sharded = process.env.ADAPTER === "sharded";
io.adapter(sharded ? createShardedAdapter(pub, sub, { subscriptionMode: "dynamic" }) : createAdapter(pub, sub));

let received = 0;
const adapter = io.of("/").adapter;
const handler = sharded ? "onRawMessage" : "onmessage";
const original = adapter[handler].bind(adapter);
adapter[handler] = (...args) => {
  received++;
  return original(...args);
};

serveChat(io, { actions: false });

// The `listen` phase's publisher node: server-side `io.to(room).emit`, say i to room
// r<i % rooms>, yielding to the event loop every `window` says (emit does not wait for Redis).
async function publish({ says, rooms, window, pad, first }) {
  const text = "x".repeat(pad);
  for (let i = 0; i < says; i++) {
    const room = `r${i % rooms}`;
    io.to(room).emit("say", chatPayload(`B${first + i}:0:${text}`, room, "0"));
    if (i % window === window - 1) await new Promise((resolve) => setImmediate(resolve));
  }
}

process.on("message", (message) => {
  if (message?.type === "publish") publish(message).then(() => process.send({ type: "publish-done" }));
  if (message?.type === "received") process.send({ type: "received-done", received, cpu: process.cpuUsage() });
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => serveControl(Number(process.env.PORT)));
