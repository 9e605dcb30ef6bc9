/**
 * A bare Primus Node client (`primus.Socket`) speaking raw Actionhero frames, for checking
 * exact wire shapes over websocket or forced long-polling.
 */
import type { EventEmitter } from "node:events";
import type { ActionheroWs } from "../../lib/index.js";

type PrimusSocket = EventEmitter & { write(d: unknown): boolean; end(): void; destroy?: () => void };
export type Frame = Record<string, unknown>;

export interface RawClientOptions {
  polling?: boolean;
  cookie?: string;
  query?: string;
  headers?: Record<string, string>;
}

const sockets = new WeakMap<ActionheroWs, new (url: string, options?: Record<string, unknown>) => PrimusSocket>();

/** `primus.Socket` recompiles the library on every read: read it once per server. */
export function socketClass(ws: ActionheroWs) {
  let Socket = sockets.get(ws);
  if (!Socket) {
    if (!ws.primus) throw new Error("server not attached");
    Socket = ws.primus.Socket as unknown as new (url: string, options?: Record<string, unknown>) => PrimusSocket;
    sockets.set(ws, Socket);
  }
  return Socket;
}

export class RawClient {
  readonly frames: Frame[] = [];
  readonly raw: unknown[] = [];
  #waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  #nextId = 1;
  ended = false;

  private constructor(readonly socket: PrimusSocket) {
    socket.on("data", (data: unknown) => {
      this.raw.push(data);
      if (typeof data !== "object" || data === null) return;
      const frame = data as Frame;
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    socket.on("end", () => (this.ended = true));
  }

  static async open(ws: ActionheroWs, url: string, options: RawClientOptions = {}): Promise<RawClient> {
    const Socket = socketClass(ws);
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    const target = options.query ? `${url}?${options.query}` : url;
    const socket = new Socket(target, {
      strategy: false,
      websockets: !options.polling,
      // engine.io-client reads extraHeaders, ws (the websockets transformer) reads headers.
      transport: { extraHeaders: headers, headers },
    });
    const client = new RawClient(socket);
    await client.next((f) => typeof f.welcome === "string", 5000);
    return client;
  }

  /** Resolves with the first frame (already received or coming) that passes `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 5000, fromIndex = 0): Promise<Frame> {
    const seen = this.frames.slice(fromIndex).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.#waiters.push({ test, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  send(frame: unknown): void {
    this.socket.write(frame);
  }

  /** Sends with a fresh numeric messageId and waits for the response carrying it. */
  async request(frame: Frame, timeoutMs = 5000): Promise<Frame> {
    const messageId = frame.messageId ?? `t${this.#nextId++}`;
    const mark = this.frames.length;
    this.send({ ...frame, messageId });
    return this.next((f) => f.context === "response" && f.messageId === messageId, timeoutMs, mark);
  }

  /** Frames received after index `from` that match. */
  after(from: number, test: (f: Frame) => boolean): Frame[] {
    return this.frames.slice(from).filter(test);
  }

  close(): void {
    this.socket.end();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
