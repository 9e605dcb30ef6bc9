// The actionhero-ws example: an Express app with Actionhero's WebSocket server, chat rooms,
// generated browser client and a chat page you sign in to with a name.
//
//   npm start                                  # http://localhost:8080/
//   PORT=3000 REDIS_URL=redis://127.0.0.1:6379 COOKIE_SECRET=s3cret npm start
//
// Environment: PORT (default 8080; 0 picks a free port), HOST (default: all interfaces),
// REDIS_URL (optional; without it chat rooms and sessions live in memory, which is fine for
// one process; with it several nodes share both), REDIS_CLUSTER_NODES (optional, instead of
// REDIS_URL for the chat: a Redis Cluster's nodes, comma-separated `redis://host:port`; sharded
// pub/sub, Redis >= 7; sessions then stay in memory unless REDIS_URL is set too), COOKIE_SECRET (optional; signs the
// fingerprint cookie and the session cookie — set it in production: without it the session
// cookie is signed with a fixed example secret), DESTROY_CLIENTS_ON_SHUTDOWN=true (on
// shutdown, tell the pages to stay closed instead of reconnecting).

import { fileURLToPath } from "node:url";
import express from "express";
import { actionheroWs } from "actionhero-ws"; // this package, via its exports map

import { randomNumber } from "./actions/randomNumber.js";
import { status } from "./actions/status.js";
import { roomsList } from "./actions/roomsList.js";
import { addAuthMiddleware, createSession, signInRoutes } from "./auth.js";

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST || undefined;

const app = express();

const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? "").split(",").map((url) => url.trim()).filter(Boolean);
const redis = clusterNodes.length > 0
  ? { cluster: { rootNodes: clusterNodes.map((url) => ({ url })) } }
  : process.env.REDIS_URL; // undefined -> embedded store

// Sessions first: the sign-in routes, /api and the sockets' handshakes all read them.
let sessions;
try {
  sessions = await createSession({ redisUrl: process.env.REDIS_URL, secret: process.env.COOKIE_SECRET ?? "actionhero-ws example secret" });
} catch (err) {
  console.error(`cannot open the session store: ${err.message}`);
  process.exit(1);
}

const ws = actionheroWs({
  redis,
  secret: process.env.COOKIE_SECRET, // undefined -> unsigned fingerprint cookie
  // `status` and `roomsList` read live state from `ws`, which is being created right here,
  // so they receive a function returning it (called when the action runs, not now).
  // randomNumber answers signed-in callers only (the "signed in" action middleware).
  actions: [{ ...randomNumber, middleware: ["signed in"] }, status(() => ws), roomsList(() => ws)],
  startingChatRooms: { defaultRoom: {}, anotherRoom: {} },
  destroyClientsOnShutdown: process.env.DESTROY_CLIENTS_ON_SHUTDOWN === "true",
  // Run on every socket's handshake, so the connection middleware sees request.session.
  handshake: [sessions.middleware],
});

// Who may connect, which actions need a user, and names on chat messages (example/auth.js).
addAuthMiddleware(ws);

app.use(sessions.middleware);
// The middleware: fingerprint cookie, the generated client at
// /public/javascript/ActionheroWebsocketClient.js (and .min.js), and actions at /api.
app.use(ws);
// GET /session, POST /login {name}, POST /logout (ends this browser's sockets on every node).
app.use(signInRoutes(ws));

// The chat page. Its Content-Security-Policy allows scripts and styles from this origin
// only, so even a message that slipped into the DOM as HTML could not run script.
const publicDir = fileURLToPath(new URL("./public/", import.meta.url));
const csp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");
app.use(
  express.static(publicDir, {
    setHeaders: (res, file) => {
      if (file.endsWith(".html")) res.setHeader("Content-Security-Policy", csp);
    },
  }),
);

const server = app.listen(port, host, (err) => {
  if (err) {
    console.error(`cannot listen on ${host ?? "*"}:${port}: ${err.message}`);
    process.exit(1);
  }
  const { port: actualPort } = server.address();
  const shownHost = !host || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  const store = clusterNodes.length > 0 ? "redis cluster" : process.env.REDIS_URL ? "redis" : "embedded store";
  console.log(`actionhero-ws example (${store}) listening on http://${shownHost}:${actualPort}/`);
});

// Route WebSocket upgrades and long-polling requests of this server to the realtime layer.
ws.attach(server);

// The store (Redis when REDIS_URL is set) connects in the background; fail loudly if it can't.
ws.ready().catch((err) => {
  console.error(`actionhero-ws could not start: ${err.message}`);
  process.exit(1);
});

// Graceful shutdown: stop the realtime layer first (connections, chat store), then the
// HTTP server. A second signal, or 10 s without finishing, forces the exit.
let shuttingDown = false;
async function shutdown(signal) {
  if (shuttingDown) {
    console.log(`${signal} again, exiting now`);
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal} received, shutting down`);
  setTimeout(() => {
    console.error("shutdown took longer than 10 s, exiting");
    process.exit(1);
  }, 10_000).unref();

  try {
    await ws.close();
    await sessions.close();
  } catch (err) {
    console.error("error while closing actionhero-ws:", err);
    process.exitCode = 1;
  }
  server.close((err) => {
    if (err && err.code !== "ERR_SERVER_NOT_RUNNING") {
      console.error("error while closing the http server:", err);
      process.exitCode = 1;
    }
    console.log("bye");
    process.exit();
  });
  server.closeIdleConnections();
}

process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
