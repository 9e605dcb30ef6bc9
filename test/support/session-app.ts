/**
 * An Express app with real `express-session` (MemoryStore) in front of actionheroWs, as an
 * app that signs users in would set it up: sign-in routes over HTTP, the same session
 * middleware as the `handshake` option, and a connection middleware that copies the
 * signed-in user onto `connection.session.user`. With `passport: true` the sign-in is
 * passport's local strategy and the handshake adds `passport.session()`.
 *
 * Routes: POST /login {name} (or, with passport, POST /login/password name=&password=),
 * POST /logout (ends the session and every socket of that user on every node), GET /hello.
 */
import express, { type RequestHandler } from "express";
import session from "express-session";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { actionheroWs, type ActionheroWs, type ActionheroWsOptions, type HandshakeMiddleware } from "../../lib/index.js";
import { allTestActions } from "./test-actions.js";
import { fixturesPublic } from "./test-server.js";

declare module "express-session" {
  interface SessionData {
    user?: string;
  }
}

export interface SessionApp {
  ws: ActionheroWs;
  url: string;
  port: number;
  /** How many times the handshake middleware ran (one per socket, not per poll). */
  handshakes(): number;
  close(): Promise<void>;
}

/** The users passport's local strategy knows (name -> password). */
export const passwords: Record<string, string> = { alice: "wonderland", bob: "builder" };

export interface SessionAppOptions extends ActionheroWsOptions {
  passport?: boolean;
  /** Handshake middleware run after the session's (e.g. one that refuses). */
  extraHandshake?: HandshakeMiddleware[];
}

export async function startSessionApp(options: SessionAppOptions = {}): Promise<SessionApp> {
  const { passport: usePassport = false, extraHandshake = [], ...wsOptions } = options;
  const sessionMiddleware = session({ secret: "session test secret", resave: false, saveUninitialized: false, store: new session.MemoryStore() });
  let handshakes = 0;
  const counted: RequestHandler = (req, res, next) => {
    handshakes++;
    sessionMiddleware(req, res, next);
  };
  const passport = new Passport();
  passport.use(new LocalStrategy((name, password, done) => done(null, passwords[name] === password ? { name } : false)));
  passport.serializeUser((user, done) => done(null, (user as { name: string }).name));
  passport.deserializeUser((name: string, done) => done(null, Object.hasOwn(passwords, name) ? { name } : false));

  const handshake: HandshakeMiddleware[] = usePassport ? [counted, passport.session()] : [counted];
  const ws = actionheroWs({
    actions: allTestActions,
    publicDir: fixturesPublic,
    clientJsName: null,
    startingChatRooms: { defaultRoom: {}, members: {} },
    handshake: [...handshake, ...extraHandshake],
    ...wsOptions,
  });
  ws.connections.addMiddleware({
    name: "user",
    create: (connection, request) => {
      const user = usePassport ? (request.user as { name?: string } | undefined)?.name : (request.session as { user?: string } | undefined)?.user;
      connection.session.user = user ?? null;
    },
  });

  const app = express();
  app.use(sessionMiddleware);
  if (usePassport) app.use(passport.session());
  app.use(ws);
  app.get("/hello", (_req, res) => void res.json({ hello: "world" }));
  app.post("/login", express.json(), (req, res) => {
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== "string" || name === "") return void res.status(400).json({ error: "a name is required" });
    req.session.regenerate((err) => {
      if (err) return void res.status(500).json({ error: String(err) });
      req.session.user = name;
      res.json({ user: name });
    });
  });
  app.post("/login/password", express.urlencoded({ extended: false }), passport.authenticate("local"), (req, res) => {
    res.json({ user: (req.user as { name: string }).name });
  });
  app.post("/logout", (req, res) => {
    const user = usePassport ? (req.user as { name?: string } | undefined)?.name : req.session.user;
    req.session.destroy(() => {
      if (!user) return void res.json({ user: null });
      ws.connections.bySession("user", user).destroy().then(
        () => res.json({ user }),
        (error: Error) => res.status(500).json({ error: error.message }),
      );
    });
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  ws.attach(server);
  await ws.ready();
  const port = (server.address() as AddressInfo).port;
  return {
    ws,
    port,
    url: `http://127.0.0.1:${port}`,
    handshakes: () => handshakes,
    async close() {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The `name=value` pairs of every Set-Cookie of a response, as one Cookie header. */
export function cookieHeader(res: Response): string {
  return res.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
}

/** Signs in over HTTP and returns the Cookie header (session + fingerprint cookies). */
export async function signIn(url: string, name: string, password?: string): Promise<string> {
  const res = password === undefined
    ? await fetch(`${url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }), signal: AbortSignal.timeout(5000) })
    : await fetch(`${url}/login/password`, { method: "POST", body: new URLSearchParams({ username: name, password }), signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { user?: string };
  if (res.status !== 200 || body.user !== name) throw new Error(`sign-in of ${name} answered ${res.status} ${JSON.stringify(body)}`);
  return cookieHeader(res);
}
