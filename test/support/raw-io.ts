/**
 * Raw clients for the limit, origin, fuzz and lifecycle suites, below the Primus client:
 * - RawIo: a socket.io-client on `/primus` that sends strings exactly as given (the server
 *   decodes them with Primus's JSON parser) and answers Primus pings;
 * - upgradeStatus: a bare `ws` handshake with a chosen Origin, for the upgrade path.
 */
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import http from "node:http";

export type Frame = Record<string, unknown>;

const isFrame = (v: unknown): v is Frame => typeof v === "object" && v !== null && !Array.isArray(v);

export interface RawIoOptions {
  transport?: "websocket" | "polling";
  extraHeaders?: Record<string, string>;
  /** Keep every decoded frame (default true); false keeps only counts, for big floods. */
  keep?: boolean;
  /** Resolve once socket.io is connected instead of at the welcome (connection middleware tests). */
  noWelcome?: boolean;
}

export class RawIo {
  readonly frames: Frame[] = [];
  /** Primus control strings from the server other than pings (e.g. "primus::server::close"). */
  readonly controls: string[] = [];
  /** Object frames received, kept or not. */
  count = 0;
  disconnected = false;
  disconnectReason = "";
  #waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  #onFrame: ((f: Frame) => void) | undefined;

  private constructor(readonly socket: Socket, private readonly keep: boolean) {
    socket.on("message", (text: unknown) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(text));
      } catch {
        return;
      }
      if (typeof frame === "string") {
        if (frame.startsWith("primus::ping::")) socket.send(JSON.stringify(`primus::pong::${frame.slice(14)}`));
        else this.controls.push(frame);
        return;
      }
      if (!isFrame(frame)) return;
      this.count++;
      if (this.keep) this.frames.push(frame);
      this.#onFrame?.(frame);
      if (this.#waiters.length) {
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.test(frame as Frame)) return true;
          w.resolve(frame as Frame);
          return false;
        });
      }
    });
    socket.on("disconnect", (reason: string) => {
      this.disconnected = true;
      this.disconnectReason = reason;
    });
  }

  /** Connects to `<url>/primus` and waits for the welcome frame. */
  static async open(url: string, options: RawIoOptions = {}): Promise<RawIo> {
    const socket = io(url, {
      path: "/primus",
      transports: [options.transport ?? "websocket"],
      forceNew: true,
      reconnection: false,
      timeout: 5000,
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    });
    const client = new RawIo(socket, options.keep ?? true);
    const failed = new Promise<never>((_, reject) => socket.once("connect_error", (error: Error) => reject(error)));
    failed.catch(() => undefined);
    const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    try {
      await Promise.race([options.noWelcome ? connected : client.next((f) => typeof f.welcome === "string", 5000), failed]);
    } catch (error) {
      socket.disconnect();
      throw error;
    }
    return client;
  }

  /** Called for every object frame (kept or not). */
  onFrame(listener: (f: Frame) => void): void {
    this.#onFrame = listener;
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The first frame (kept, or arriving within `timeoutMs`) that passes `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(this.frames.slice(-3)).slice(0, 400)}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Sends with `messageId` and waits for the response carrying it. */
  request(frame: Frame, messageId: string | number, timeoutMs = 5000): Promise<Frame> {
    const reply = this.next((f) => f.context === "response" && f.messageId === messageId, timeoutMs);
    this.send({ ...frame, messageId });
    return reply;
  }

  /** Resolves when socket.io reports the disconnect (rejects after `timeoutMs`). */
  async closed(timeoutMs = 5000): Promise<string> {
    if (this.disconnected) return this.disconnectReason;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("disconnect", (reason: string) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Opens a bare websocket handshake to Primus with `origin`; resolves with the HTTP status (101 when accepted). */
export function upgradeStatus(port: number, origin: string | undefined): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/primus/?EIO=4&transport=websocket`, origin === undefined ? {} : { origin });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no answer to the upgrade within 5000 ms"));
    }, 5000);
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        clearTimeout(timer);
        socket.terminate();
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    socket.once("upgrade", (res) => {
      clearTimeout(timer);
      socket.once("open", () => socket.terminate());
      resolve({ status: res.statusCode ?? 0, body: "", headers: res.headers });
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A logger that keeps every record, with helpers to search them. */
export function recordingLogger() {
  const records: Array<{ level: "debug" | "info" | "warn" | "error"; obj: unknown; msg: string | undefined }> = [];
  const at = (level: "debug" | "info" | "warn" | "error") => (obj: object | string, msg?: string) => {
    records.push({ level, obj, msg });
  };
  return {
    records,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    /** Records at or above `level` whose text (object and message) matches. */
    find(pattern: RegExp, levels: string[] = ["info", "warn", "error"]) {
      return records.filter((r) => levels.includes(r.level) && pattern.test(`${JSON.stringify(r.obj)} ${r.msg ?? ""}`));
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Floods like an abusive client: `perTick` calls of `send` every `tickMs` until `stop()`
 * holds, for at most `maxMs`. Resolves with how many were sent and for how long.
 */
export async function floodUntil(send: (i: number) => void, stop: () => boolean, options: { perTick?: number; tickMs?: number; maxMs?: number } = {}): Promise<{ sent: number; ms: number }> {
  const { perTick = 20, tickMs = 20, maxMs = 15_000 } = options;
  const started = Date.now();
  let sent = 0;
  while (!stop() && Date.now() - started < maxMs) {
    for (let i = 0; i < perTick; i++) send(sent++);
    await sleep(tickMs);
  }
  return { sent, ms: Date.now() - started };
}

/** Polls `condition` every 20 ms; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}

/** A plain HTTP request with exact headers (fetch would refuse to set Origin in browsers). */
export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url} within 5000 ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * A bare `ws` client speaking engine.io v4 + socket.io by hand, to see exactly what the
 * server sends, including the websocket close code.
 */
export class RawEngineWs {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  closeReason = "";
  readonly #closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    this.#closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      });
    });
    ws.on("message", (data) => {
      const text = data.toString();
      if (text === "2") return ws.send("3");
      if (!text.startsWith("42")) return;
      const [, payload] = JSON.parse(text.slice(2)) as [string, string];
      const frame: unknown = JSON.parse(payload);
      if (typeof frame === "string" && frame.startsWith("primus::ping::")) this.sendPrimus(`primus::pong::${frame.slice(14)}`);
      else if (isFrame(frame)) this.frames.push(frame);
    });
  }

  /** Opens and waits for the welcome; `noWelcome`: only until socket.io acknowledged the CONNECT. */
  static open(port: number, options: { headers?: Record<string, string>; noWelcome?: boolean } = {}): Promise<RawEngineWs> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/primus/?EIO=4&transport=websocket`, { headers: options.headers });
    const client = new RawEngineWs(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no welcome within 5000 ms")), 5000);
      ws.once("error", reject);
      ws.on("message", (data) => {
        const text = data.toString();
        if (text.startsWith("0{")) ws.send("40");
        // socket.io drops what arrives before it acknowledged the CONNECT.
        if (options.noWelcome && text.startsWith("40")) {
          clearTimeout(timer);
          resolve(client);
        }
        if (!options.noWelcome && client.frames.some((f) => typeof f.welcome === "string")) {
          clearTimeout(timer);
          resolve(client);
        }
      });
    });
  }

  /** Sends one Primus message (JSON-encoded `value`) as socket.io's `send()` would. */
  sendPrimus(value: unknown): void {
    this.sendEncoded(JSON.stringify(value));
  }

  /** Sends an already encoded Primus string. */
  sendEncoded(text: string): void {
    this.ws.send(`42${JSON.stringify(["message", text])}`);
  }

  closed(timeoutMs = 5000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`websocket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.#closed, late]).finally(() => clearTimeout(timer));
  }

  terminate(): void {
    this.ws.terminate();
  }
}
