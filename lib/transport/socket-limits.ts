/**
 * Limits enforced below Primus, per socket:
 * - the outbound buffer: a client that stops reading makes the server queue everything it
 *   is sent (engine.io's `writeBuffer`, then ws's `bufferedAmount`). guardSocket() registers
 *   each socket with the server's sweeper (outbound-sweeper.ts), which measures every socket
 *   within 50 ms of any write and drops those past the limit.
 * - oversized inbound frames: ws (engine.io's `maxPayload` = Primus `maxLength`) closes the
 *   websocket with 1009 and engine.io's polling answers 413 by themselves; we report both.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type Primus from "primus";
import type { OutboundSweeper, SweptSocket } from "./outbound-sweeper.js";

interface EnginePacket {
  data?: unknown;
}

/** The engine.io Socket (the `conn` of a socket.io socket, or the engine.io transformer's socket). */
interface EngineSocket {
  writeBuffer: EnginePacket[];
  readyState?: string;
  transport?: { name?: string; socket?: WsSocket };
  close(discard?: boolean): void;
  on(event: "close", listener: (this: EngineSocket, reason: string, description: unknown) => void): unknown;
}

/** ws's `WebSocket.CLOSED`. */
const WS_CLOSED = 3;

interface WsSocket {
  bufferedAmount: number;
  readyState: number;
  terminate(): void;
  once(event: string, listener: (...args: never[]) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** Shared by every socket of a server; `subject` is what the socket was guarded for (its connection). */
export interface SocketLimitHooks<T> {
  /** A sweep found the socket over `limits.outboundBufferBytes`; it is being dropped (called once). */
  slow(subject: T, queuedBytes: number): void;
  /** The client sent a frame over `maxLength`; ws has closed the socket with 1009. */
  oversized(subject: T): void;
}

function packetBytes(packet: EnginePacket | undefined): number {
  const data = packet?.data;
  if (typeof data === "string") return data.length;
  if (data && typeof (data as ArrayBufferLike).byteLength === "number") return (data as ArrayBufferLike).byteLength;
  return 0;
}

function isEngineSocket(value: unknown): value is EngineSocket {
  return typeof value === "object" && value !== null && Array.isArray((value as EngineSocket).writeBuffer) && typeof (value as EngineSocket).close === "function";
}

function isWsSocket(value: unknown): value is WsSocket {
  return typeof value === "object" && value !== null && typeof (value as WsSocket).bufferedAmount === "number" && typeof (value as WsSocket).terminate === "function";
}

/** Drops an engine.io socket now: its queue is discarded and its TCP socket destroyed. */
function dropEngineSocket(engine: EngineSocket): void {
  const ws = engine.transport?.name === "websocket" ? engine.transport.socket : undefined;
  // close(true) discards the queue and closes engine.io -> socket.io -> Primus at once;
  // terminate() frees the TCP socket now instead of after ws's 30 s close handshake.
  engine.close(true);
  if (ws && typeof ws.terminate === "function") ws.terminate();
}

/**
 * An engine.io socket as the sweeper sees it: one object per socket, no closures. Its
 * backlog is engine.io's `writeBuffer` (summed incrementally: the array only grows until a
 * flush replaces it) plus what the websocket under it still buffers. String sizes are
 * counted in UTF-16 units, a close enough measure for a limit.
 */
class EngineSweep<T> implements SweptSocket {
  #array: EnginePacket[] | undefined = undefined;
  #counted = 0;
  #bytes = 0;

  constructor(
    private readonly engine: EngineSocket,
    readonly sweeper: OutboundSweeper,
    readonly hooks: SocketLimitHooks<T>,
    readonly subject: T,
  ) {}

  measure(): number {
    const buffer = this.engine.writeBuffer;
    if (buffer !== this.#array) {
      this.#array = buffer;
      this.#counted = 0;
      this.#bytes = 0;
    }
    for (; this.#counted < buffer.length; this.#counted++) this.#bytes += packetBytes(buffer[this.#counted]);
    const ws = this.engine.transport?.name === "websocket" ? this.engine.transport.socket : undefined;
    return this.#bytes + (ws && typeof ws.bufferedAmount === "number" ? ws.bufferedAmount : 0);
  }

  overLimit(queued: number): void {
    this.hooks.slow(this.subject, queued);
    dropEngineSocket(this.engine);
  }
}

/** Each guarded engine.io socket's sweep record, for the close listener shared by all of them. */
const engineSweeps = new WeakMap<EngineSocket, EngineSweep<unknown>>();

function onEngineClose(this: EngineSocket, reason: string, description: unknown): void {
  const swept = engineSweeps.get(this);
  if (swept === undefined) return;
  engineSweeps.delete(this);
  swept.sweeper.remove(swept);
  const detail = description instanceof Error ? description.message : String(description ?? "");
  if (reason === "transport error" && /max payload size exceeded/i.test(detail)) swept.hooks.oversized(swept.subject);
}

/** Watches one spark's socket for the outbound limit (through the sweeper) and oversized inbound frames. */
export function guardSocket<T>(spark: Primus.Spark, sweeper: OutboundSweeper, hooks: SocketLimitHooks<T>, subject: T): void {
  const raw = spark.socket as { conn?: unknown } | null;
  const engine = isEngineSocket(raw?.conn) ? raw.conn : isEngineSocket(raw) ? raw : undefined;

  if (engine) {
    if (engine.readyState === "closed") return;
    const swept = new EngineSweep(engine, sweeper, hooks as SocketLimitHooks<unknown>, subject);
    sweeper.add(swept);
    engineSweeps.set(engine, swept);
    // a listener shared by every socket (engine.io emits `close` once): no closure per socket
    engine.on("close", onEngineClose);
    return;
  }

  if (isWsSocket(raw)) {
    // Primus's own `websockets` transformer: spark.socket is the ws socket.
    const ws = raw;
    if (ws.readyState === WS_CLOSED) return;
    const swept: SweptSocket = {
      measure: () => ws.bufferedAmount,
      overLimit: (queued) => {
        hooks.slow(subject, queued);
        ws.terminate();
      },
    };
    sweeper.add(swept);
    ws.once("close", () => sweeper.remove(swept));
    ws.on("error", (error: Error & { code?: string }) => {
      if (error?.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") hooks.oversized(subject);
    });
  }
}

/**
 * A Primus layer that reports polling bodies engine.io refused with 413 (over `maxLength`),
 * so they are logged and counted like oversized websocket frames.
 */
export function payloadLimitLayer(onRefused: (req: IncomingMessage) => void): Primus.Layer {
  const layer = function payloadLimit(req: IncomingMessage, res: ServerResponse | Duplex, next: (err?: Error | null) => void): void {
    if (req.method === "POST" && "setHeader" in res) {
      const response = res as ServerResponse;
      response.once("finish", () => {
        if (response.statusCode === 413) onRefused(req);
      });
    }
    next();
  };
  // Upgrades carry no body: skip them.
  (layer as unknown as { upgrade: boolean }).upgrade = false;
  return layer;
}
