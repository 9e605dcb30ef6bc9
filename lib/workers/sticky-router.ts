/**
 * The primary's side of sticky routing: it reads the head of each request on a new
 * connection, picks a worker and hands it the connection itself (`worker.send(msg, socket)`),
 * so the worker serves that request and everything after it on the socket (a websocket's
 * frames never pass through the primary). A request whose query carries an engine.io `sid`
 * goes to the worker that issued it (the sid names it, see session-id.ts); every other
 * connection goes round-robin to the workers that are ready. Client addresses play no part:
 * many users share one NAT address.
 */
import type { Worker } from "node:cluster";
import type { Server, Socket } from "node:net";
import { runnerDefaults } from "../options.js";
import { workerOfRequestLine } from "./session-id.js";

/** The message a worker receives with each connection (see worker-connections.ts). */
export interface HandedConnection {
  type: "actionhero-ws:connection";
  /** The bytes the primary already read, as latin1 (any IPC serialization carries a string). */
  head: string;
}

const CRLF2 = Buffer.from("\r\n\r\n");

export class StickyRouter {
  readonly #ready = new Map<number, Worker>();
  #order: Worker[] = [];
  #next = 0;
  /** Connections handed over, and requests refused here (for tests and the bench). */
  handed = 0;
  refused = 0;

  constructor(server: Server) {
    server.on("connection", (socket: Socket) => this.#accept(socket));
  }

  /** A worker that reported ready starts getting new sessions. */
  add(worker: Worker): void {
    this.#ready.set(worker.id, worker);
    this.#order = [...this.#ready.values()];
  }

  /** A worker that exits or stops: none of its sessions can be served elsewhere, new ones go to the others. */
  remove(worker: Worker): void {
    this.#ready.delete(worker.id);
    this.#order = [...this.#ready.values()];
  }

  /**
   * A worker died: close the connections still on their way to it. Node keeps a handle it
   * sent open until the worker acknowledges it (and queues the next ones behind it); a dead
   * worker never does, so the client would wait on a socket nobody serves instead of
   * reconnecting. Node has no public API for these, hence the internal fields.
   */
  died(worker: Worker): void {
    this.remove(worker);
    const channel = worker.process as unknown as {
      _pendingMessage?: { handle?: { close?: () => void } } | null;
      _handleQueue?: Array<{ handle?: { destroy?: () => void } }> | null;
    };
    channel._pendingMessage?.handle?.close?.();
    for (const queued of channel._handleQueue ?? []) queued.handle?.destroy?.();
  }

  get readyCount(): number {
    return this.#order.length;
  }

  #accept(socket: Socket): void {
    let head: Buffer | undefined;
    socket.setTimeout(runnerDefaults.headTimeoutMs, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf(CRLF2);
      if (end < 0 ? head.length > runnerDefaults.maxHeadBytes : end > runnerDefaults.maxHeadBytes) {
        return this.#refuse(socket, onData, 431, "request head too large");
      }
      if (end < 0) return;
      const body = bodyLength(head.subarray(0, end).toString("latin1"));
      if (body === "chunked") return this.#refuse(socket, onData, 411, "send a Content-Length: chunked request bodies are not routed");
      if (body > runnerDefaults.maxBodyBytes) return this.#refuse(socket, onData, 413, "request body too large");
      // The whole request must be read here: bytes the primary has not read stay in the
      // kernel and reach the worker with the socket, but a read already under way in the
      // primary while the handle is queued for sending would be lost.
      if (head.length < end + 4 + body) return;
      const lineEnd = head.indexOf("\r\n");
      const worker = this.#choose(head.subarray(0, lineEnd).toString("latin1"));
      if (!worker) return this.#refuse(socket, onData, 503, "no worker is ready");
      socket.off("data", onData);
      stopReading(socket);
      socket.setTimeout(0);
      const message: HandedConnection = { type: "actionhero-ws:connection", head: head.toString("latin1") };
      this.handed++;
      worker.send(message, socket, (error: Error | null) => {
        if (error) socket.destroy();
      });
    };
    socket.on("data", onData);
  }

  #choose(requestLine: string): Worker | undefined {
    const owner = workerOfRequestLine(requestLine);
    if (owner !== undefined) {
      const worker = this.#ready.get(owner);
      if (worker) return worker;
      // its worker is gone: any worker answers "Session ID unknown" and the client reconnects
    }
    const order = this.#order;
    if (order.length === 0) return undefined;
    const worker = order[this.#next % order.length];
    this.#next = (this.#next + 1) % order.length;
    return worker;
  }

  #refuse(socket: Socket, onData: (chunk: Buffer) => void, status: number, error: string): void {
    socket.off("data", onData);
    // keep reading (and dropping) what the client still sends: closing with unread bytes
    // would reset the connection and could lose the answer
    socket.on("data", () => undefined);
    socket.resume();
    this.refused++;
    const body = JSON.stringify({ error });
    const reason = { 411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too Large", 503: "Service Unavailable" }[status];
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
        + `${status === 503 ? "Retry-After: 1\r\n" : ""}Connection: close\r\n\r\n${body}`,
    );
    socket.setTimeout(1_000, () => socket.destroy());
  }
}

/**
 * Stops the primary reading a socket it hands over, for good. `pause()` alone only stops the
 * stream's flow: the handle goes on reading, and Node drops whatever the primary still reads
 * from the moment the handle is sent until the worker's acknowledgement closes it here. A
 * websocket client's first frame, sent right after the worker's 101, was lost that way
 * whenever the primary and the worker both ran late (all cores busy), and the client
 * waited forever (bench/README.md, "Several cores"). Node has no public call for this
 * (net.Server's `pauseOnConnect` only helps a primary that reads nothing): the handle's own.
 *
 * Stopping the handle is not enough on its own: the stream, below its high-water mark after
 * the chunk just read, asks for more on the next tick (`_read`), and `_read` starts the
 * handle again. A socket sent at once is detached by then, but one that waits in Node's
 * queue (the worker has not acknowledged the previous handle yet: any burst) was read
 * again, and its client's first frame lost (test/workers/queued-handoff.test.ts). This
 * socket's stream never reads again: its `_read` does nothing.
 */
function stopReading(socket: Socket): void {
  socket.pause();
  (socket as unknown as { _read: (size: number) => void })._read = () => undefined;
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null })._handle;
  if (typeof handle?.readStop !== "function") return;
  handle.reading = false;
  handle.readStop();
}

/** Content-Length of a request head (0 without one), or "chunked". */
function bodyLength(head: string): number | "chunked" {
  const encoding = /\r\ntransfer-encoding:[ \t]*([^\r]*)/i.exec(head);
  if (encoding && !/^identity$/i.test(encoding[1].trim())) return "chunked";
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  return length ? Number(length[1]) : 0;
}
