/**
 * Limits enforced below Primus, per socket:
 * - the outbound buffer: a client that stops reading makes the server queue everything it
 *   is sent (engine.io's `writeBuffer`, then ws's `bufferedAmount`). Past the limit the
 *   socket is dropped at once: broadcasts never wait for it and memory stays bounded.
 * - oversized inbound frames: ws (engine.io's `maxPayload` = Primus `maxLength`) closes the
 *   websocket with 1009 and engine.io's polling answers 413 by themselves; we report both.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type Primus from "primus";

interface EnginePacket {
  data?: unknown;
}

/** The engine.io Socket (the `conn` of a socket.io socket, or the engine.io transformer's socket). */
interface EngineSocket {
  writeBuffer: EnginePacket[];
  transport?: { name?: string; socket?: WsSocket };
  close(discard?: boolean): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

interface WsSocket {
  bufferedAmount: number;
  terminate(): void;
  once(event: string, listener: (...args: never[]) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface SocketLimitHooks {
  /** Bytes one socket may have queued for sending before it is dropped. */
  outboundBufferBytes: number;
  /** The socket went over the limit and is being dropped (called once). */
  slow(queuedBytes: number): void;
  /** The client sent a frame over `maxLength`; ws has closed the socket with 1009. */
  oversized(): void;
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

/**
 * Bytes an engine.io socket has queued: its `writeBuffer` (summed incrementally: the array
 * only grows until a flush replaces it) plus what the websocket under it still buffers.
 * String sizes are counted in UTF-16 units, a close enough measure for a limit.
 */
class EngineBacklog {
  #array: EnginePacket[] | undefined;
  #counted = 0;
  #bytes = 0;

  measure(engine: EngineSocket): number {
    const buffer = engine.writeBuffer;
    if (buffer !== this.#array) {
      this.#array = buffer;
      this.#counted = 0;
      this.#bytes = 0;
    }
    for (; this.#counted < buffer.length; this.#counted++) this.#bytes += packetBytes(buffer[this.#counted]);
    const ws = engine.transport?.name === "websocket" ? engine.transport.socket : undefined;
    return this.#bytes + (ws && typeof ws.bufferedAmount === "number" ? ws.bufferedAmount : 0);
  }
}

/** Drops an engine.io socket now: its queue is discarded and its TCP socket destroyed. */
function dropEngineSocket(engine: EngineSocket): void {
  const ws = engine.transport?.name === "websocket" ? engine.transport.socket : undefined;
  // close(true) discards the queue and closes engine.io -> socket.io -> Primus at once;
  // terminate() frees the TCP socket now instead of after ws's 30 s close handshake.
  engine.close(true);
  if (ws && typeof ws.terminate === "function") ws.terminate();
}

/** Watches one spark's socket for the outbound limit and oversized inbound frames. */
export function guardSocket(spark: Primus.Spark, hooks: SocketLimitHooks): void {
  const raw = spark.socket as { conn?: unknown } | null;
  const engine = isEngineSocket(raw?.conn) ? raw.conn : isEngineSocket(raw) ? raw : undefined;
  let tripped = false;
  const trip = (queued: number, drop: () => void) => {
    tripped = true;
    // Not from inside engine.io's sendPacket (we may be in the middle of a broadcast
    // loop): right after it, before anything else is queued for this socket.
    queueMicrotask(() => {
      hooks.slow(queued);
      drop();
    });
  };

  if (engine) {
    const backlog = new EngineBacklog();
    // An upper bound of what measure() would return: the last exact reading plus every
    // packet since, each counted as if every UTF-16 unit took 3 bytes plus a frame header.
    // The backlog only shrinks between readings, so while the bound is under the limit the
    // exact reading (a walk of new writeBuffer entries and ws internals) can be skipped:
    // this listener runs for every delivery of every broadcast.
    let bound = 0;
    // Every write, whatever path it took (spark.write, or a socket.io room broadcast that
    // bypasses Primus), creates an engine.io packet.
    const check = (packet: EnginePacket) => {
      if (tripped) return;
      const bytes = packetBytes(packet);
      bound += bytes * 3 + 16;
      if (bound <= hooks.outboundBufferBytes) return;
      const queued = backlog.measure(engine) + bytes;
      bound = queued;
      if (queued <= hooks.outboundBufferBytes) return;
      engine.off("packetCreate", check);
      trip(queued, () => dropEngineSocket(engine));
    };
    engine.on("packetCreate", check);
    engine.once("close", (reason: string, description: unknown) => {
      engine.off("packetCreate", check);
      const detail = description instanceof Error ? description.message : String(description ?? "");
      if (reason === "transport error" && /max payload size exceeded/i.test(detail)) hooks.oversized();
    });
    return;
  }

  if (isWsSocket(raw)) {
    // Primus's own `websockets` transformer: spark.socket is the ws socket.
    const ws = raw;
    const check = () => {
      if (tripped || ws.bufferedAmount <= hooks.outboundBufferBytes) return;
      spark.off("outgoing::data", check);
      trip(ws.bufferedAmount, () => ws.terminate());
    };
    spark.on("outgoing::data", check);
    ws.on("error", (error: Error & { code?: string }) => {
      if (error?.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") hooks.oversized();
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
