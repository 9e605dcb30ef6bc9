/**
 * One socket write per engine.io flush. engine.io's websocket transport writes each packet
 * of a flush with its own `socket.write`, and Node hands every one to the kernel at once: a
 * write syscall per delivery, even when a burst of says queued six packets for a socket
 * (bench/README.md, "Where the fan-out cost was"). Corking the TCP socket for the
 * flush turns them into one `writev`: engine.io emits `flush` just before the transport sends
 * and `drain` just after, in the same synchronous call, so nothing waits longer.
 *
 * The TCP socket is taken where ws hands it over (`handleUpgrade`, through engine.io's
 * `wsEngine` option), so no private field of ws is read. Long-polling writes one HTTP
 * response per flush already and is left alone.
 */
import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import type { Server as EngineServer, Socket as EngineSocket } from "engine.io";
import { WebSocketServer, type WebSocket } from "ws";

const tcpSockets = new WeakMap<WebSocket, Duplex>();

/** ws's server, remembering each websocket's TCP socket; engine.io's `wsEngine`. */
export class SocketKeepingWsServer extends WebSocketServer {
  override handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (client: WebSocket, request: IncomingMessage) => void,
  ): void {
    super.handleUpgrade(request, socket, head, (client, req) => {
      tcpSockets.set(client, socket);
      callback(client, req);
    });
  }
}

interface FlushingSocket {
  transport?: { name?: string; socket?: unknown };
}

function tcpSocketOf(socket: FlushingSocket): Duplex | undefined {
  const transport = socket.transport;
  if (transport?.name !== "websocket") return undefined;
  return tcpSockets.get(transport.socket as WebSocket);
}

/**
 * Corks a websocket client's TCP socket for every flush of more than one packet. Clients
 * upgraded by another `wsEngine` (a user's `transport.wsEngine`) are written as engine.io
 * writes them.
 */
export function batchFlushWrites(engine: EngineServer): void {
  const corked = new Map<EngineSocket, Duplex>();
  engine.on("flush", (socket: EngineSocket, packets: readonly unknown[]) => {
    if (packets.length < 2) return;
    const tcp = tcpSocketOf(socket as unknown as FlushingSocket);
    if (!tcp || tcp.destroyed) return;
    tcp.cork();
    corked.set(socket, tcp);
  });
  engine.on("drain", (socket: EngineSocket) => {
    const tcp = corked.get(socket);
    if (tcp === undefined) return;
    corked.delete(socket);
    tcp.uncork();
  });
}
