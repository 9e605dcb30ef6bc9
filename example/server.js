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

import { chatStore, createChatApp } from "./chat-app.js";

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST || undefined;

let made;
try {
  made = await createChatApp();
} catch (err) {
  console.error(`cannot open the session store: ${err.message}`);
  process.exit(1);
}
const { app, ws, sessions } = made;

const server = app.listen(port, host, (err) => {
  if (err) {
    console.error(`cannot listen on ${host ?? "*"}:${port}: ${err.message}`);
    process.exit(1);
  }
  const { port: actualPort } = server.address();
  const shownHost = !host || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  console.log(`actionhero-ws example (${chatStore().label}) listening on http://${shownHost}:${actualPort}/`);
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
