/**
 * A leaner spark through Primus's own extension point: each Primus server has its own
 * Spark prototype whose `__initialise` list runs for every new spark, and Primus's default
 * entry may be replaced there. That entry registers five closures per spark through Ultron
 * (which tags each one); with thousands of idle sockets that is a measurable share of the
 * memory per connection (bench/README.md). This one does the same work with listeners
 * shared by every spark (`this` is the spark), so a spark costs nothing of ours per
 * listener. Entries that plugins add to the list after it still run.
 *
 * Behaviour kept from Primus's initialise: decoding, `primus::` protocol messages, message
 * transformers and the `data` queue until `connection` listeners ran; pongs keep the spark
 * alive for the heartbeat; a transformer `end`/`error` ends the spark; `disconnection` is
 * announced once. Because nothing is unregistered at end (Primus's Ultron did that), every
 * listener ignores events on a closed spark.
 */
import { createRequire } from "node:module";
import type Primus from "primus";

const require = createRequire(import.meta.url);
/** Primus's own error for undecodable data: emits `error` on the spark (if heard) and `log` on Primus. */
const { ParserError } = require("primus/errors") as { ParserError: new (message: string, spark: Primus.Spark, cause?: Error) => Error };

type LeanSpark = Primus.Spark & {
  primus: Primus & { asyncemit(event: string, ...args: unknown[]): void };
  alive: boolean;
  ultron: { destroy(): void } | null;
  protocol(data: unknown): boolean;
  transforms(primus: Primus, spark: Primus.Spark, type: "incoming", data: unknown, raw: unknown): void;
};

/**
 * The events every spark of ours listens to, as one fixed-shape object. An emitter's
 * `_events` is otherwise made with Object.create(null), a dictionary of about half a
 * kilobyte once nine names are in it; a fixed shape keeps them as plain fields. A name
 * without listeners holds `undefined`, which EventEmitter treats as "none".
 */
const SparkEvents = function SparkEvents(this: Record<string, unknown>) {
  this["incoming::data"] = undefined;
  this["incoming::pong"] = undefined;
  this["incoming::end"] = undefined;
  this["incoming::error"] = undefined;
  this["outgoing::data"] = undefined;
  this["outgoing::end"] = undefined;
  this.data = undefined;
  this.error = undefined;
  this.end = undefined;
} as unknown as new () => Record<string, unknown>;
// No Object.prototype behind it: a listener for "constructor" or "toString" must not find one.
SparkEvents.prototype = Object.freeze(Object.create(null));

/** Stands in for the spark's Ultron, which `end()` destroys: nothing to unregister. */
const noUltron = Object.freeze({ destroy(): void {} });

function closed(spark: LeanSpark): boolean {
  return spark.readyState === spark.primus.Spark.CLOSED;
}

function onIncomingData(this: LeanSpark, raw: unknown): void {
  const spark = this;
  if (closed(spark)) return;
  spark.primus.decoder.call(spark, raw, (err, data) => {
    if (err) {
      new ParserError(`Failed to decode incoming data: ${err.message}`, spark, err);
      return;
    }
    if (spark.protocol(data)) return;
    spark.transforms(spark.primus, spark, "incoming", data, raw);
  });
}

function onIncomingPong(this: LeanSpark): void {
  if (closed(this)) return;
  this.alive = true;
  this.emit("heartbeat");
}

function onIncomingEnd(this: LeanSpark): void {
  this.end(undefined, { reconnect: true });
}

function onIncomingError(this: LeanSpark, error: unknown): void {
  if (closed(this)) return;
  const err = typeof error === "string" ? new Error(error) : (error as Error);
  if (this.listenerCount("error")) this.emit("error", err);
  this.primus.emit("log", "error", err);
  this.end();
}

function onEnd(this: LeanSpark): void {
  this.primus.emit("disconnection", this);
}

function announce(spark: LeanSpark): void {
  spark.primus.asyncemit("connection", spark, (err: unknown) => {
    if (err) {
      spark.emit("incoming::error", err);
      return;
    }
    const queued = spark.queue as Array<{ data: unknown; raw: unknown }> | null;
    if (queued) for (const packet of queued) spark.emit("data", packet.data, packet.raw);
    spark.queue = null;
  });
}

function leanInitialise(this: LeanSpark): void {
  // As Primus's: a spark initialised twice keeps its first listeners.
  if (this.listenerCount("incoming::data")) return;
  const emitter = this as unknown as { _events: object; _eventsCount: number };
  if (emitter._eventsCount === 0) emitter._events = new SparkEvents();
  this.ultron = noUltron;
  this.on("incoming::data", onIncomingData);
  this.on("incoming::pong", onIncomingPong);
  this.on("incoming::end", onIncomingEnd);
  this.on("incoming::error", onIncomingError);
  this.on("end", onEnd);
  // Announced on the next tick, so the transformer can listen before `connection` listeners run.
  process.nextTick(announce, this);
}

/** Replaces Primus's default spark initialiser of this server with the lean one. */
export function useLeanSparks(primus: Primus): void {
  const proto = primus.Spark.prototype as unknown as { __initialise: Array<() => void> };
  const list = proto.__initialise;
  if (list.length > 0 && list[0] !== leanInitialise) list[0] = leanInitialise;
}
