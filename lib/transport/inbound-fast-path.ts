/**
 * Inbound frames without Primus's per-message event chain. Primus hands every message
 * through `incoming::data` -> decoder -> protocol check -> transform pipeline (a packet
 * object and two closures) -> `data`; that is on every action round trip. When none of it
 * can matter (no incoming transformer, no queued frames, only our `data` listener, a decoded
 * object rather than a `primus::` string), the frame goes from the decoder straight to the
 * connection. Everything else (decode errors, pongs, plugins) takes Primus's own path.
 */
import type Primus from "primus";

/** What socket-server registers on each spark: the connection's frame handler. */
export type FrameReceiver = (frame: unknown) => void;

const receivers = new WeakMap<Primus.Spark, FrameReceiver>();

/** The socket server's receiver for a spark (it also keeps its `data` listener for the other path). */
export function receiveFramesDirectly(spark: Primus.Spark, receiver: FrameReceiver): void {
  receivers.set(spark, receiver);
}

/** Sentinel: the decoder failed or did not answer synchronously. */
const undecoded = Symbol("undecoded");
/** Where the decoder's callback leaves its result: one shared function, no closure per frame. */
let decoded: unknown = undecoded;
function takeDecoded(err: unknown, data: unknown): void {
  decoded = err ? undecoded : data;
}

/** A message from the transformer: delivered here when possible, else through Primus. */
export function receiveMessage(primus: Primus, spark: Primus.Spark, raw: unknown): void {
  const receiver = receivers.get(spark);
  if (
    receiver !== undefined &&
    // After end() Primus drops what still arrives (its listeners are gone): so do we.
    spark.readyState !== primus.Spark.CLOSED &&
    primus.transformers.incoming.length === 0 &&
    spark.queue === null &&
    spark.listenerCount("data") === 1
  ) {
    decoded = undecoded;
    primus.decoder.call(spark, raw, takeDecoded);
    const frame = decoded;
    decoded = undecoded;
    // Strings are Primus's own (`primus::pong::…`) or not frames at all: Primus decides.
    if (frame !== undecoded && typeof frame !== "string") return receiver(frame);
  }
  spark.emit("incoming::data", raw);
}
