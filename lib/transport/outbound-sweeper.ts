/**
 * `limits.outboundBufferBytes` as a periodic sweep instead of a check per delivery: a room
 * broadcast to n sockets would otherwise pay n event dispatches and checks. Each Primus
 * server has one sweeper (a registry of its guarded sockets); a sweep measures every one
 * and drops those over the limit.
 *
 * Sweeps run only after something was written: the write paths call `markWritten()` once
 * per write or per broadcast (never per recipient), which arms a single `SWEEP_INTERVAL_MS`
 * timer for the process if none is armed. Writes through `spark.write` (code holding a
 * spark, Primus plugins) mark too: `sweeperFor` wraps the server's Spark prototype. A backlog only grows through writes, so an idle
 * server has no timer at all, and a socket is dropped at most one interval after the
 * write that took it over the limit: memory stays bounded by the limit plus what is
 * written in one interval.
 */

/** Longest delay between a write and the sweep that checks it. */
export const SWEEP_INTERVAL_MS = 50;

/** One guarded socket, as the sweeper sees it. */
export interface SweptSocket {
  /** Bytes queued for the client and not yet handed to the kernel. */
  measure(): number;
  /** A sweep found it over the limit: report and drop it (called once). */
  overLimit(queuedBytes: number): void;
}

/** Sweepers with at least one socket: what the next sweep walks. */
const active = new Set<OutboundSweeper>();
let timer: NodeJS.Timeout | undefined;

/**
 * Something was written: sweep within `SWEEP_INTERVAL_MS`. Called on the hot write paths,
 * so while a sweep is pending it is one comparison.
 */
export function markWritten(): void {
  if (timer !== undefined || active.size === 0) return;
  timer = setTimeout(sweepAll, SWEEP_INTERVAL_MS);
  // Never keeps the process alive: with no server left there is nothing to protect.
  timer.unref();
}

function sweepAll(): void {
  timer = undefined;
  for (const sweeper of active) sweeper.sweep();
}

function deactivate(sweeper: OutboundSweeper): void {
  active.delete(sweeper);
  if (active.size === 0 && timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
}

/** The guarded sockets of one Primus server. */
export class OutboundSweeper {
  readonly limitBytes: number;
  readonly #sockets = new Set<SweptSocket>();
  #stopped = false;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  /** Sockets being watched. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Watches a socket until `remove()` (its close) or `stop()`. */
  add(socket: SweptSocket): void {
    if (this.#stopped) return;
    this.#sockets.add(socket);
    active.add(this);
  }

  remove(socket: SweptSocket): void {
    if (!this.#sockets.delete(socket)) return;
    // A sweeper with no sockets leaves the walk, so a server that was never closed leaks nothing.
    if (this.#sockets.size === 0) deactivate(this);
  }

  /** Measures every socket; drops those over the limit. */
  sweep(): void {
    let over: Array<[SweptSocket, number]> | undefined;
    for (const socket of this.#sockets) {
      const queued = socket.measure();
      if (queued > this.limitBytes) (over ??= []).push([socket, queued]);
    }
    if (!over) return;
    // Dropped after the walk: closing a socket runs close handlers that edit the registry.
    for (const [socket, queued] of over) {
      this.remove(socket);
      socket.overLimit(queued);
    }
  }

  /** The server closed: forget every socket, and disarm the timer if nothing else needs it. */
  stop(): void {
    this.#stopped = true;
    this.#sockets.clear();
    deactivate(this);
  }
}

/**
 * The sweeper of one Primus server. Primus gives each server its own Spark prototype, and
 * its `write` already runs a transform pipeline per write, so wrapping it costs nothing
 * measurable; Primus's heartbeats use `_write`, so an idle server stays unmarked.
 */
export function sweeperFor(primus: { Spark: unknown }, limitBytes: number): OutboundSweeper {
  const proto = (primus.Spark as { prototype: { write(data: unknown): boolean } }).prototype;
  const write = proto.write;
  Object.defineProperty(proto, "write", {
    configurable: true,
    writable: true,
    value: function markedWrite(this: unknown, data: unknown): boolean {
      markWritten();
      return write.call(this, data);
    },
  });
  return new OutboundSweeper(limitBytes);
}
