// Signing in for the example chat: a name (no password) kept in an express-session, the
// same session on the sockets (actionhero-ws's `handshake` option), and the three
// authentication hooks of actionhero-ws:
//   - connection middleware: a socket without a signed-in session is refused;
//   - action middleware: `randomNumber` answers signed-in callers only (socket and /api);
//   - chat middleware: names on messages and on join/leave announcements.
// Sessions live in memory (MemoryStore, one process) or, with REDIS_URL, in Redis
// (connect-redis), so several nodes share them.

import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";

const MAX_NAME_LENGTH = 32;

/** The express-session middleware, on Redis when `redisUrl` is set. */
export async function createSession({ redisUrl, secret }) {
  let store = new session.MemoryStore();
  let client;
  if (redisUrl) {
    client = createClient({ url: redisUrl, socket: { connectTimeout: 5000 } });
    client.on("error", (err) => console.warn(`session store: ${err.message}`));
    await client.connect();
    store = new RedisStore({ client, prefix: "actionhero-ws-example:session:" });
  }
  const middleware = session({
    name: "chat.sid",
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
  });
  return { middleware, close: async () => client?.close() };
}

/** A name someone may sign in with, or the reason it is refused. */
function checkName(raw) {
  if (typeof raw !== "string") return { error: "a name is required" };
  const name = raw.trim();
  if (name === "") return { error: "a name is required" };
  if ([...name].length > MAX_NAME_LENGTH) return { error: `a name has at most ${MAX_NAME_LENGTH} characters` };
  // No control characters (C0, DEL, C1): a name is shown to everyone.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return { error: "a name cannot contain control characters" };
  return { name };
}

/** GET /session, POST /login {name}, POST /logout. Mount after the session middleware. */
export function signInRoutes(ws) {
  const router = express.Router();
  router.get("/session", (req, res) => {
    res.set("Cache-Control", "no-store").json({ user: req.session.user ?? null });
  });
  router.post("/login", express.json({ limit: "1kb" }), (req, res, next) => {
    const { name, error } = checkName(req.body?.name);
    if (error) return res.status(400).json({ error });
    // A new session id on sign-in (no session fixation).
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = name;
      res.json({ user: name });
    });
  });
  router.post("/logout", (req, res, next) => {
    const sid = req.sessionID;
    req.session.destroy((err) => {
      if (err) return next(err);
      // Every socket of this browser's session, on every node: a socket keeps what it
      // read from the session at its handshake, so ending the session alone is not enough.
      ws.connections.bySession("sid", sid).destroy().then(
        () => res.json({ user: null }),
        next,
      );
    });
  });
  return router;
}

/** The user of an action's caller: a socket (set at its handshake) or an /api request. */
function userOf(connection) {
  return connection.type === "web" ? connection.rawConnection.req.session?.user : connection.session.name;
}

export function addAuthMiddleware(ws) {
  ws.connections.addMiddleware({
    name: "signed in",
    create: (connection, request) => {
      const user = request.session?.user;
      if (!user) throw new Error("sign in first");
      connection.session.name = user;
      connection.session.sid = request.sessionID;
    },
  });

  ws.actions.addMiddleware({
    name: "signed in",
    preProcessor: ({ connection }) => {
      if (!userOf(connection)) throw new Error("sign in first");
    },
  });

  ws.chatRoom.addMiddleware({
    name: "names",
    // Only signed-in connections get this far; refusing here too keeps rooms closed to
    // anyone else should the connection middleware ever be removed.
    join: async (connection, room) => {
      if (!connection.session.name) throw new Error("sign in first");
      await announce(ws, room, { event: "join", id: connection.id, name: connection.session.name });
    },
    // Also for members of a crashed node (a stand-in connection without a session).
    leave: async (connection, room) => {
      await announce(ws, room, { event: "leave", id: connection.id, name: connection.session.name ?? null });
    },
    // The server sets the sender's name: a client cannot claim another one.
    onSayReceive: (connection, room, payload) => {
      if (payload.from === "0") return payload;
      return { ...payload, message: { name: connection.session?.name ?? null, text: payload.message } };
    },
  });
}

// `join` runs before the member is added and `leave` before it is removed (also when a
// connection drops). A throw would refuse the join or keep the member in the room, so an
// announcement that fails is only logged.
async function announce(ws, room, message) {
  try {
    // `{}` as the sender: a server-side broadcast, delivered with `from: "0"`.
    await ws.chatRoom.broadcast({}, room, message);
  } catch (err) {
    console.warn(`could not announce ${message.event} in ${room}: ${err?.message ?? err}`);
  }
}
