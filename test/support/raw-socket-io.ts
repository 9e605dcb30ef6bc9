/**
 * A raw socket.io-client below Primus: sends Primus-encoded strings exactly as given
 * (so malformed frames reach the server unchanged) and parses every server frame itself.
 * Answers the server's `primus::ping::<n>` so long tests are not reaped.
 */
import { io, type Socket } from "socket.io-client";

export type Frame = Record<string, unknown>;
export type IoTransport = "websocket" | "polling";

export class RawSocketIo {
  /** Every decoded server frame, control strings included, in order. */
  readonly received: unknown[] = [];
  #waiters: Array<{ test: (f: unknown) => boolean; resolve: (f: unknown) => void }> = [];
  disconnected = false;

  private constructor(readonly socket: Socket) {
    socket.on("message", (text: unknown) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(text));
      } catch {
        frame = { unparsable: String(text) };
      }
      if (typeof frame === "string" && frame.startsWith("primus::ping::")) {
        socket.send(JSON.stringify(`primus::pong::${frame.slice("primus::ping::".length)}`));
      }
      this.received.push(frame);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    socket.on("disconnect", () => (this.disconnected = true));
  }

  /** Connects to `<url>/primus` on one socket.io transport (or from it to websocket) and waits for the welcome frame. */
  static async open(url: string, transport: IoTransport, options: { path?: string; extraHeaders?: Record<string, string>; query?: Record<string, string>; rejectUnauthorized?: boolean; upgrade?: boolean } = {}): Promise<RawSocketIo> {
    const socket = io(url, {
      path: options.path ?? "/primus",
      // `upgrade`: start on `transport` (polling), then upgrade to websocket as browsers do
      transports: options.upgrade ? [transport, "websocket"] : [transport],
      forceNew: true,
      reconnection: false,
      timeout: 5000,
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
      ...(options.query ? { query: options.query } : {}),
      ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
    const client = new RawSocketIo(socket);
    const controller = new AbortController();
    const failed = new Promise<never>((_, reject) => socket.once("connect_error", (error: Error) => reject(error)));
    failed.catch(() => undefined);
    try {
      await Promise.race([client.next((f) => typeof f.welcome === "string", 5000, 0, controller.signal), failed]);
    } catch (error) {
      socket.disconnect();
      throw error;
    } finally {
      controller.abort();
    }
    return client;
  }

  /** Object frames received so far. */
  get frames(): Frame[] {
    return this.received.filter(isObject);
  }

  /** Sends one string as is: the server decodes it with Primus's JSON parser. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** The first frame at or after index `from` of `received` that passes `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 5000, from = 0, signal?: AbortSignal): Promise<Frame> {
    const check = (f: unknown) => isObject(f) && test(f);
    const seen = this.received.slice(from).find(check);
    if (seen) return Promise.resolve(seen as Frame);
    return new Promise((resolve, reject) => {
      const forget = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w.test !== check);
      };
      const timer = setTimeout(() => {
        forget();
        reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(this.received.slice(-3)).slice(0, 500)}`));
      }, timeoutMs);
      // aborted: the caller stopped waiting (its promise is left pending, nothing leaks)
      signal?.addEventListener("abort", forget, { once: true });
      this.#waiters.push({ test: check, resolve: (f) => { forget(); resolve(f as Frame); } });
    });
  }

  /** Sends `raw` and resolves with the first response frame that follows it. */
  async reply(raw: string, timeoutMs = 5000): Promise<Frame> {
    const mark = this.received.length;
    this.sendRaw(raw);
    return this.next((f) => f.context === "response", timeoutMs, mark);
  }

  /** Sends a well-formed frame with this messageId and waits for its response. */
  async request(frame: Frame & { messageId: string | number }, timeoutMs = 5000): Promise<Frame> {
    const mark = this.received.length;
    this.sendRaw(JSON.stringify(frame));
    return this.next((f) => f.context === "response" && f.messageId === frame.messageId, timeoutMs, mark);
  }

  close(): void {
    this.socket.disconnect();
  }
}

function isObject(value: unknown): value is Frame {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
