// actionhero-ws from the built dist/, as a user mounts it: Express + ws.attach(server).
// Env: PORT, REDIS_URL (2-node runs), SAY_MIDDLEWARE=1 (a per-recipient `say` hook),
// TRANSFORMER (socket.io by default), AHWS_DIST (another build's dist/, for `--base`),
// CLIENT_JS=1 (generate and serve the client library, for the real-client load).
import express from "express";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dist = process.env.AHWS_DIST ? pathToFileURL(path.join(process.env.AHWS_DIST, "lib", "index.js")).href : "../../dist/lib/index.js";
const { actionheroWs } = await import(dist);
const { countFlushes, serveControl } = await import("./control.mjs");

const port = Number(process.env.PORT);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const echo = {
  name: "echo",
  description: "returns its input",
  inputs: { value: { required: true } },
  run: async ({ params }) => ({ echo: params.value }),
};

// The client is written to a scratch public dir, removed when the server exits.
const publicDir = process.env.CLIENT_JS === "1" ? mkdtempSync(path.join(os.tmpdir(), "ahws-bench-public-")) : undefined;
if (publicDir) process.on("exit", () => rmSync(publicDir, { recursive: true, force: true }));

const ws = actionheroWs({
  redis: process.env.REDIS_URL || undefined,
  actions: [echo],
  startingChatRooms: { bench: {} },
  ...(process.env.CLIENT_JS === "1"
    ? { publicDir, origins: "*" }
    : { clientJsName: null }),
  logger: silent,
  server: { transformer: process.env.TRANSFORMER || "socket.io" },
  // HISTORY=0: the `ours-nohistory` target, what room history (on by default) costs
  ...(process.env.HISTORY === "0" ? { history: false } : {}),
  // The bench's one sender pushes thousands of messages a second: lift the per-connection
  // flood limit (default 50/s) so it measures delivery, not the rate limiter.
  // The load generator, one address, opens polling clients 50 at a time: lift the
  // pending-handshake caps (default 100 per address) too.
  limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, pendingHandshakesPerIp: 1_000_000, pendingHandshakes: 1_000_000 },
});
if (process.env.SAY_MIDDLEWARE === "1") {
  ws.chatRoom.addMiddleware({ name: "per-recipient", say: (_connection, _room, payload) => payload });
}

const app = express();
app.use(ws);
const server = app.listen(port, "127.0.0.1", async () => {
  ws.attach(server);
  await ws.ready();
  // engine.io under our socket.io transformer (absent on the other transformers)
  countFlushes(ws.primus?.transformer?.service?.engine);
  serveControl(port);
});
