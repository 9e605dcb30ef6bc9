/**
 * Frames past Primus's per-message event chain, both ways, when nothing could tell.
 * In: Primus hands every message through `incoming::data` -> decoder -> protocol check ->
 * transform pipeline (a packet object and two closures) -> `data`. When none of it can
 * matter (no incoming transformer, no queued frames, only our `data` listener, a decoded
 * object rather than a `primus::` string), the frame goes from the decoder straight to the
 * connection; decode errors, pongs and plugins take Primus's own path.
 * Out: an encoded packet goes to the transformer's send function rather than through an
 * `outgoing::data` emit, unless someone else listens to that event; to a client that takes
 * object frames (object-frames.ts) the frame itself goes.
 * Both are on every action round trip.
 */
import type Primus from "primus";
import { decode, undecoded } from "./primus-codec.js";
import { isPlainJson } from "./object-frames.js";

/** What socket-server registers on each spark: the connection's frame handler. */
export type FrameReceiver = (frame: unknown) => void;

const receivers = new WeakMap<Primus.Spark, FrameReceiver>();

/** The socket server's receiver for a spark (it also keeps its `data` listener for the other path). */
export function receiveFramesDirectly(spark: Primus.Spark, receiver: FrameReceiver): void {
  receivers.set(spark, receiver);
}

/** How the transformer sends a packet (an encoded string, or a frame object) on a spark's socket. */
export type PacketSender = (spark: Primus.Spark, packet: unknown) => void;

interface Sender {
  send: PacketSender;
  /** The client announced object frames (only the socket.io transformer carries them). */
  objects: boolean;
}

const senders = new WeakMap<Primus.Spark, Sender>();

/** The transformer's sender for a spark (it keeps its `outgoing::data` listener for the other path). */
export function sendPacketsDirectly(spark: Primus.Spark, send: PacketSender, objects = false): void {
  senders.set(spark, { send, objects });
}

/** Our sender, when nobody else listens to `outgoing::data` (else the event must be emitted). */
function directSender(spark: Primus.Spark): Sender | undefined {
  const sender = senders.get(spark);
  return sender !== undefined && spark.listenerCount("outgoing::data") === 1 ? sender : undefined;
}

/** Hands an encoded packet to the transformer: what `outgoing::data` would do. */
export function sendPacket(spark: Primus.Spark, packet: string): void {
  const sender = directSender(spark);
  if (sender !== undefined) sender.send(spark, packet);
  else spark.emit("outgoing::data", packet);
}

/**
 * Sends a frame object when the spark's client takes object frames and socket.io would
 * encode it as JSON does; false otherwise. One registry lookup per frame.
 */
export function sendFrameObject(spark: Primus.Spark, frame: object): boolean {
  const sender = directSender(spark);
  if (sender === undefined || !sender.objects || !isPlainJson(frame)) return false;
  sender.send(spark, frame);
  return true;
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
    const frame = decode(primus, spark, raw);
    // Strings are Primus's own (`primus::pong::…`) or not frames at all: Primus decides.
    if (frame !== undecoded && typeof frame !== "string") return receiver(frame);
  }
  spark.emit("incoming::data", raw);
}
