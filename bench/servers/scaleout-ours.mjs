// One actionhero-ws node of the scale-out bench (bench/scaleout.mjs), from the built dist/.
// Env: PORT, ROOMS (rooms r0..r<ROOMS-1> plus "fan", created at start), and either REDIS_URL
// with CHANNEL_MODE ("per-room" | "single") or REDIS_CLUSTER_NODES (comma-separated
// redis:// URLs: Redis Cluster, sharded pub/sub). `received` over IPC answers with
// stats().busMessagesReceived (the messages this node received from Redis) and its CPU;
// `publish` makes it the publisher of the `listen` phase.
import express from "express";
const { actionheroWs } = await import("../../dist/lib/index.js");
const { serveControl } = await import("./control.mjs");

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const rooms = Object.fromEntries([...Array.from({ length: Number(process.env.ROOMS ?? 100) }, (_, r) => `r${r}`), "fan"].map((room) => [room, {}]));
const cluster = process.env.REDIS_CLUSTER_NODES?.split(",").map((url) => ({ url }));

const ws = actionheroWs({
  redis: cluster ? { cluster: { rootNodes: cluster } } : process.env.REDIS_URL,
  ...(cluster ? {} : { channelMode: process.env.CHANNEL_MODE || "per-room" }),
  startingChatRooms: rooms,
  clientJsName: null,
  logger: silent,
  // as ours.mjs: the bench's senders push far more than the default 50 frames/s each
  limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, pendingHandshakesPerIp: 1_000_000, pendingHandshakes: 1_000_000 },
});

// The `listen` phase's publisher node: server-side says (`chatRoom.broadcast`, from "0"),
// `window` in flight, say i to room r<i % rooms>.
async function publish({ says, rooms: roomCount, window, pad, first }) {
  const text = "x".repeat(pad);
  let next = 0;
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < says) {
      const i = next++;
      await ws.chatRoom.broadcast({}, `r${i % roomCount}`, `B${first + i}:0:${text}`);
    }
  }));
}

process.on("message", (message) => {
  if (message?.type === "publish") publish(message).then(() => process.send({ type: "publish-done" }), (error) => process.send({ type: "publish-done", error: String(error) }));
  if (message?.type === "received") process.send({ type: "received-done", received: ws.stats().busMessagesReceived, cpu: process.cpuUsage() });
});
const app = express();
app.use(ws);
const server = app.listen(Number(process.env.PORT), "127.0.0.1", async () => {
  ws.attach(server);
  await ws.ready();
  serveControl(Number(process.env.PORT));
});
