// The example chat app itself: an Express app with actionheroWs, sign-in with a name
// (example/auth.js), the chat page and its actions. server.js runs it in one process
// (`npm start`), cluster.js on every core (`npm run start:cluster`).

import { fileURLToPath } from "node:url";
import express from "express";
import { actionheroWs } from "actionhero-ws"; // this package, via its exports map

import { randomNumber } from "./actions/randomNumber.js";
import { status } from "./actions/status.js";
import { roomsList } from "./actions/roomsList.js";
import { addAuthMiddleware, createSession, signInRoutes } from "./auth.js";

/** Where the chat lives: a Redis Cluster (REDIS_CLUSTER_NODES), one Redis (REDIS_URL), or the embedded store. */
export function chatStore() {
  const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? "").split(",").map((url) => url.trim()).filter(Boolean);
  if (clusterNodes.length > 0) return { label: "redis cluster", redis: { cluster: { rootNodes: clusterNodes.map((url) => ({ url })) } } };
  return process.env.REDIS_URL ? { label: "redis", redis: process.env.REDIS_URL } : { label: "embedded store", redis: undefined };
}

/**
 * The Express app, its actionheroWs and its session store, configured from the environment.
 * Rejects when the session store cannot open.
 */
export async function createChatApp() {
  const app = express();

  // Sessions first: the sign-in routes, /api and the sockets' handshakes all read them.
  const sessions = await createSession({ redisUrl: process.env.REDIS_URL, secret: process.env.COOKIE_SECRET ?? "actionhero-ws example secret" });

  const ws = actionheroWs({
    redis: chatStore().redis,
    secret: process.env.COOKIE_SECRET, // undefined -> unsigned fingerprint cookie
    // `status` and `roomsList` read live state from `ws`, which is being created right here,
    // so they receive a function returning it (called when the action runs, not now).
    // randomNumber answers signed-in callers only (the "signed in" action middleware).
    actions: [{ ...randomNumber, middleware: ["signed in"] }, status(() => ws), roomsList(() => ws)],
    startingChatRooms: { defaultRoom: {}, anotherRoom: {} },
    // Room history is on by default: a joined room shows its last messages, a reconnect
    // catches up on what was missed (README, "History and recovery").
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

  return { app, ws, sessions };
}
