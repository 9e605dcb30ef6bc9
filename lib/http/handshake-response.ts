/**
 * The response object the `handshake` Express middleware gets. A websocket upgrade has no
 * ServerResponse (only the raw socket), and on a polling handshake engine.io writes the
 * real response itself; so middleware always gets this stand-in: it keeps headers and a
 * status, and `end()` (or `json()`, `send()`, `redirect()`) only records that the
 * middleware answered instead of passing the request on, which refuses the handshake
 * through our own path (lib/http/handshake-middleware.ts). Nothing reaches the socket.
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

type HeaderValue = number | string | readonly string[];

export class HandshakeResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = "";
  /** Set once a middleware ended the response (it answered instead of calling next()). */
  writableEnded = false;
  readonly #headers = new Map<string, HeaderValue>();

  constructor(
    readonly req: IncomingMessage,
    private readonly ended: () => void,
  ) {
    super();
  }

  /** Nothing is ever written to the client from here. */
  get headersSent(): boolean {
    return false;
  }

  get finished(): boolean {
    return this.writableEnded;
  }

  setHeader(name: string, value: HeaderValue): this {
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.#headers.get(name.toLowerCase());
  }

  getHeaders(): OutgoingHttpHeaders {
    return Object.fromEntries(this.#headers) as OutgoingHttpHeaders;
  }

  getHeaderNames(): string[] {
    return [...this.#headers.keys()];
  }

  hasHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.#headers.delete(name.toLowerCase());
  }

  writeHead(status: number, ...rest: unknown[]): this {
    this.statusCode = status;
    const headers = rest.find((value) => typeof value === "object" && value !== null);
    if (headers) for (const [name, value] of Object.entries(headers)) this.setHeader(name, value as HeaderValue);
    return this;
  }

  /** Express's `res.status(code)`. */
  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  write(): boolean {
    return true;
  }

  end(): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.ended();
    this.emit("finish");
    return this;
  }

  json(): this {
    return this.end();
  }

  send(): this {
    return this.end();
  }

  sendStatus(code: number): this {
    this.statusCode = code;
    return this.end();
  }

  redirect(): this {
    this.statusCode = 302;
    return this.end();
  }
}
