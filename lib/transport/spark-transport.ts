/**
 * Everything we keep per socket, in one record on the spark (a Symbol key): the
 * connection's frame receiver, the transformer's packet sender, whether the client takes
 * object frames, the close reason. It is also the connection's ConnectionTransport.
 *
 * The fast path, both ways, past Primus's per-message event chain when nothing could tell:
 * In: Primus hands every message through `incoming::data` -> decoder -> protocol check ->
 * transform pipeline (a packet object and two closures) -> `data`. When none of it can
 * matter (no incoming transformer, no queued frames, only our `data` listener, a decoded
 * object rather than a `primus::` string), the frame goes from the decoder straight to the
 * connection; decode errors, pongs and plugins take Primus's own path.
 * Out: an encoded packet goes to the transformer's send function rather than through an
 * `outgoing::data` emit (and Primus's per-write pipeline), unless someone else listens to
 * that event or an outgoing transformer is registered; to a client that takes object
 * frames the frame itself goes (frame-codec.ts). Both are on every action round trip.
 */
import type Primus from "primus";
import type { CloseReason, Connection, ConnectionTransport } from "../connection/connection.js";
import { canEncodeOnce, decode, encodeOnce, encodesJson, isPlainJson, undecoded } from "./frame-codec.js";
import { markWritten } from "./outbound-sweeper.js";
import { closeNotice } from "../protocol/replies.js";

/** The frame handler of the socket server, shared by every connection. */
export type FrameReceiver = (connection: Connection, frame: unknown) => void;
/** How the transformer puts a packet (an encoded string, or a frame object) on a spark's socket. */
export type PacketSender = (spark: Primus.Spark, packet: unknown) => void;

const recordKey = Symbol("actionhero-ws.spark");
type RecordedSpark = Primus.Spark & { primus: Primus; [recordKey]?: SparkTransport };

/** A socket.io socket, as far as group membership goes. */
interface GroupSocket {
  connected: boolean;
  join(group: string): unknown;
  leave(group: string): unknown;
}

function groupSocketOf(spark: Primus.Spark): GroupSocket | undefined {
  const socket = spark.socket as Partial<GroupSocket> | null;
  // socket.io's join() does not check the socket is still connected: a join after the
  // disconnect would leave a dead id in the adapter's room map.
  return socket && socket.connected && typeof socket.join === "function" ? (socket as GroupSocket) : undefined;
}

export class SparkTransport implements ConnectionTransport {
  /** The connection over this spark, set by the socket server with `receive`. */
  connection: Connection | undefined = undefined;
  /** Set by the socket server (which also keeps a `data` listener for Primus's path). */
  receive: FrameReceiver | undefined = undefined;
  /** Set by the transformer (which also keeps an `outgoing::data` listener). */
  send: PacketSender | undefined = undefined;
  /** The client announced object frames (only our socket.io transformer carries them). */
  objects = false;
  /** The websocket close code and reason of end(), read by the transformer. */
  closeReason: CloseReason | undefined = undefined;

  private constructor(readonly spark: RecordedSpark) {}

  /** The spark's record, made on first use (the transformer or the server may come first). */
  static of(spark: Primus.Spark): SparkTransport {
    return ((spark as RecordedSpark)[recordKey] ??= new SparkTransport(spark as RecordedSpark));
  }

  get #open(): boolean {
    return this.spark.readyState !== this.spark.primus.Spark.CLOSED;
  }

  /** Our sender, when nobody else listens to `outgoing::data`. */
  #direct(): PacketSender | undefined {
    return this.send !== undefined && this.spark.listenerCount("outgoing::data") === 1 ? this.send : undefined;
  }

  /**
   * `spark.write(frame)` with the same bytes on the wire, on the fast path when it applies.
   * False only when JSON cannot encode the frame (a cycle, a BigInt): nothing was sent, and
   * the caller can answer with an error instead.
   */
  write(frame: object): boolean {
    const primus = this.spark.primus;
    markWritten();
    if (canEncodeOnce(primus)) {
      if (!this.#open) return true;
      const direct = this.#direct();
      if (direct !== undefined && this.objects && isPlainJson(frame)) {
        direct(this.spark, frame);
        return true;
      }
      const packet = encodeOnce(primus, frame);
      if (packet !== undefined) {
        this.writeEncoded(packet);
        return true;
      }
      if (encodesJson(primus)) return false;
    }
    this.spark.write(frame);
    return true;
  }

  /** An encoded packet (frame-codec.ts encodeOnce) to this socket: what `outgoing::data` would do. */
  writeEncoded(packet: string): void {
    if (!this.#open) return;
    const direct = this.#direct();
    if (direct !== undefined) direct(this.spark, packet);
    else this.spark.emit("outgoing::data", packet);
  }

  /** A message from the transformer: to the connection when possible, else through Primus. */
  receiveRaw(raw: unknown): void {
    const { spark, receive, connection } = this;
    const primus = spark.primus;
    if (
      receive !== undefined &&
      connection !== undefined &&
      // After end() Primus drops what still arrives (its listeners are gone): so do we.
      this.#open &&
      primus.transformers.incoming.length === 0 &&
      spark.queue === null &&
      spark.listenerCount("data") === 1
    ) {
      const frame = decode(primus, spark, raw);
      // Strings are Primus's own (`primus::pong::…`) or not frames at all: Primus decides.
      if (frame !== undecoded && typeof frame !== "string") return receive(connection, frame);
    }
    spark.emit("incoming::data", raw);
  }

  /**
   * The close notice, then the end: polling clients have no close code, so every client
   * learns the reason from the same frame (Primus writes in order); websockets then close
   * with the code too (the transformer reads `closeReason`).
   */
  end(reconnect: boolean, close: CloseReason): void {
    this.closeReason = close;
    if (close.notice !== false) this.write(closeNotice(close, reconnect));
    this.spark.end(undefined, { reconnect });
  }

  /** "polling" or "websocket": what the spark runs on now (for stats). */
  name(): string {
    const socket = this.spark.socket as { conn?: { transport?: { name?: string } }; transport?: { name?: string } } | null;
    const name = socket?.conn?.transport?.name ?? socket?.transport?.name;
    return name === "polling" ? "polling" : "websocket";
  }

  /** Joins a socket.io room (no-op on transformers without rooms). */
  joinGroup(group: string): void {
    void groupSocketOf(this.spark)?.join(group);
  }

  /** Leaves a socket.io room; a disconnect already leaves them all. */
  leaveGroup(group: string): void {
    void groupSocketOf(this.spark)?.leave(group);
  }
}
