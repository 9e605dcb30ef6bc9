/**
 * The real generated browser client, loaded in Node: the test server writes and serves
 * `ActionheroWebsocketClient(.min).js`; we fetch it over HTTP like a browser would, evaluate
 * the client part with `new Function("exports", code)` and connect it through the server's
 * own Primus Node `Socket` class, with the fingerprint cookie sent as a header.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ActionheroWsOptions } from "../../lib/index.js";
import type {
  ActionheroClientOptions,
  ActionheroWebsocketClient,
  PrimusClientConstructor,
} from "../../lib/client/ActionheroWebsocketClient.js";
import { fixturesPublic, startTestServer, type TestServer } from "./test-server.js";
import { socketClass } from "./primus-client.js";

export type Client = ActionheroWebsocketClient;
export type ClientClass = typeof ActionheroWebsocketClient;
export type ClientFile = "js" | "min.js";

export const CLIENT_JS_NAME = "ActionheroWebsocketClient";
/** The line that separates the Primus library from the client IIFE in the generated `.js`. */
const SEPARATOR = /(?:^|\n);;;\r?\n/;

export interface LoadedClient {
  ActionheroWebsocketClient: ClientClass;
  /** `sessionID=<fingerprint>` from the response's Set-Cookie. */
  cookie: string;
  /** The whole file as served. */
  source: string;
}

/**
 * Evaluates a generated client file and returns its class.
 * - `.js`: only the part after the Primus library (the client IIFE after `;;;`).
 * - `.min.js`: terser drops the separator, so the whole file runs, with `this`, `globalThis`
 *   and `self` pointing at a sandbox object: the Primus library and its socket.io-client
 *   bundle register there instead of on Node's global (a global `io` would replace the
 *   Node socket.io-client that `primus.Socket` uses).
 */
export function evaluateClient(source: string, file: ClientFile): ClientClass {
  const exports: { ActionheroWebsocketClient?: ClientClass } = {};
  if (file === "js") {
    const match = SEPARATOR.exec(source);
    if (!match) throw new Error("generated client has no ';;;' separator after the Primus library");
    const code = source.slice(match.index + match[0].length);
    new Function("exports", code)(exports);
  } else {
    const sandbox: Record<string, unknown> = {};
    new Function("exports", "globalThis", "self", "window", source).call(sandbox, exports, sandbox, sandbox, undefined);
    if (typeof sandbox.Primus !== "function") throw new Error("the minified client carries no Primus library");
  }
  const Class = exports.ActionheroWebsocketClient;
  if (typeof Class !== "function") throw new Error(`evaluating the generated ${file} gave no ActionheroWebsocketClient`);
  return Class;
}

/** Fetches `/public/javascript/<name>.<file>` from a running server and evaluates it. */
export async function fetchClient(baseUrl: string, file: ClientFile = "js"): Promise<LoadedClient> {
  const res = await fetch(`${baseUrl}/public/javascript/${CLIENT_JS_NAME}.${file}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET ${CLIENT_JS_NAME}.${file} answered ${res.status}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/javascript")) throw new Error(`GET ${CLIENT_JS_NAME}.${file} has content-type ${type}`);
  const source = await res.text();
  return { ActionheroWebsocketClient: evaluateClient(source, file), cookie: cookieFrom(res), source };
}

/** The `name=value` part of the fingerprint cookie a response sets. */
export function cookieFrom(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith("sessionID="));
  if (!header) throw new Error("the response set no sessionID cookie");
  return header.split(";")[0];
}

/** A fresh fingerprint cookie from the server (a plain GET, as a new browser would get). */
export async function newCookie(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/hello`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return cookieFrom(res);
}

/** Small Primus back-off so reconnect tests take well under a second per attempt. */
export const FAST_RECONNECT = { min: 100, max: 500, retries: 20 };

export interface CreateOptions extends ActionheroClientOptions {
  /** Cookie header value; default: the cookie set when the client file was fetched. */
  cookie?: string;
  file?: ClientFile;
}

export interface ClientTestServer extends TestServer {
  /** Where the client files were written (a temp copy of the fixtures). */
  publicDir: string;
  /** The cookie set with the `.js` download. */
  cookie: string;
  /** `ws.primus.Socket`, read once. */
  Socket: PrimusClientConstructor;
  loaded: Record<ClientFile, LoadedClient>;
  /** Every client made by create()/connect(); close() disconnects them. */
  clients: Set<Client>;
  /** A client for this server (not yet connected). */
  create(options?: CreateOptions): Client;
  /** create() + connect(), bounded. */
  connect(options?: CreateOptions): Promise<Client>;
  disconnectClients(): void;
}

function makeTempPublicDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-client-"));
  for (const name of readdirSync(fixturesPublic)) copyFileSync(path.join(fixturesPublic, name), path.join(dir, name));
  return dir;
}

/**
 * A test server that generates the client into a temp public dir (with the fixture files
 * copied in, so the `file` verb still finds them). Clients built here use `.js` unless told.
 */
export async function startClientServer(options: ActionheroWsOptions = {}, port = 0): Promise<ClientTestServer> {
  const publicDir = makeTempPublicDir();
  let base: TestServer;
  try {
    base = await startTestServer({ clientJsName: CLIENT_JS_NAME, publicDir, ...options }, port);
  } catch (error) {
    rmSync(publicDir, { recursive: true, force: true });
    throw error;
  }
  try {
    const [js, min] = await Promise.all([fetchClient(base.url, "js"), fetchClient(base.url, "min.js")]);
    const Socket = socketClass(base.ws) as unknown as PrimusClientConstructor;
    const clients = new Set<Client>();
    const ts: ClientTestServer = {
      ...base,
      publicDir,
      cookie: js.cookie,
      Socket,
      loaded: { js, "min.js": min },
      clients,
      create(createOptions = {}) {
        const { cookie = js.cookie, file = "js", ...rest } = createOptions;
        const Class = ts.loaded[file].ActionheroWebsocketClient;
        const client = new Class({ url: base.url, Primus: Socket, transport: { extraHeaders: { cookie } }, ...rest });
        clients.add(client);
        return client;
      },
      async connect(createOptions = {}) {
        const client = ts.create(createOptions);
        await withTimeout(client.connect(), 5_000, "client connect");
        return client;
      },
      disconnectClients() {
        for (const client of clients) client.disconnect();
        clients.clear();
      },
      async close() {
        ts.disconnectClients();
        try {
          await base.close();
        } finally {
          rmSync(publicDir, { recursive: true, force: true });
        }
      },
    };
    return ts;
  } catch (error) {
    await base.close();
    rmSync(publicDir, { recursive: true, force: true });
    throw error;
  }
}

/** Rejects when `work` does not settle within `ms`; never leaves a timer behind. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Polls `test` every 20 ms until it is true; throws after `ms`. */
export async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the arguments of the next `event` on `client`, bounded. */
export function nextEvent<T extends unknown[] = unknown[]>(client: Client, event: string, ms = 5_000): Promise<T> {
  let listener: ((...args: unknown[]) => void) | undefined;
  const fired = new Promise<T>((resolve) => {
    listener = (...args: unknown[]) => resolve(args as T);
    client.once(event, listener);
  });
  return withTimeout(fired, ms, `event "${event}"`).finally(() => client.off(event, listener));
}
