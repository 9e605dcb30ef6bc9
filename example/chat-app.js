// The example chat app itself: an Express app with actionheroWs, the chat page and its
// actions. server.js runs it in one process (`npm start`), cluster.js on every core
// (`npm run start:cluster`).

import { fileURLToPath } from "node:url";
import express from "express";
import { actionheroWs } from "actionhero-ws"; // this package, via its exports map

import { randomNumber } from "./actions/randomNumber.js";
import { status } from "./actions/status.js";
import { roomsList } from "./actions/roomsList.js";

/** The Express app and its actionheroWs, configured from the environment. */
export function createChatApp() {
  const app = express();

  const ws = actionheroWs({
    redis: process.env.REDIS_URL, // undefined -> embedded store
    secret: process.env.COOKIE_SECRET, // undefined -> unsigned fingerprint cookie
    // `status` and `roomsList` read live state from `ws`, which is being created right here,
    // so they receive a function returning it (called when the action runs, not now).
    actions: [randomNumber, status(() => ws), roomsList(() => ws)],
    startingChatRooms: { defaultRoom: {}, anotherRoom: {} },
    destroyClientsOnShutdown: process.env.DESTROY_CLIENTS_ON_SHUTDOWN === "true",
  });

  // Tell a room when someone joins or leaves it. `join` runs before the member is added and
  // `leave` before it is removed (also when a connection drops). A throw from `join` would
  // refuse the join and one from `leave` would keep the member in the room, so an
  // announcement that fails is only logged.
  ws.chatRoom.addMiddleware({
    name: "announce",
    join: async (connection, room) => {
      await announce(room, { event: "join", id: connection.id });
    },
    leave: async (connection, room) => {
      await announce(room, { event: "leave", id: connection.id });
    },
  });

  async function announce(room, message) {
    try {
      // `{}` as the sender: a server-side broadcast, delivered with `from: "0"`.
      await ws.chatRoom.broadcast({}, room, message);
    } catch (err) {
      console.warn(`could not announce ${message.event} in ${room}: ${err?.message ?? err}`);
    }
  }

  // The middleware: fingerprint cookie, the generated client at
  // /public/javascript/ActionheroWebsocketClient.js (and .min.js), and actions at /api.
  app.use(ws);

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

  return { app, ws };
}
