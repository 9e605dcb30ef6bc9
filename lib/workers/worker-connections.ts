/**
 * The worker's side of sticky routing: connections the primary hands over (sticky-router.ts)
 * enter this worker's http server as if it had accepted them, and the engine under Primus
 * issues session ids that name this worker (session-id.ts).
 */
import { Socket } from "node:net";
import type { Server } from "node:http";
import type Primus from "primus";
import type { HandedConnection } from "./sticky-router.js";
import { sessionIdsFor } from "./session-id.js";

function isHandedConnection(message: unknown): message is HandedConnection {
  return typeof message === "object" && message !== null
    && (message as HandedConnection).type === "actionhero-ws:connection" && typeof (message as HandedConnection).head === "string";
}

/** Serves the connections the primary sends to this worker on `server` (which never listens itself). */
export function acceptHandedConnections(server: Server): () => void {
  const onMessage = (message: unknown, handle: unknown): void => {
    if (!isHandedConnection(message) || !(handle instanceof Socket)) return;
    server.emit("connection", handle);
    // the primary read the head (and body) to route it: put them back in front
    handle.unshift(Buffer.from(message.head, "latin1"));
  };
  process.on("message", onMessage);
  // One request per connection: a browser may reuse a kept-alive connection for another
  // tab's session, which belongs to another worker; the primary routes each new connection.
  const closeAfterResponse = (_req: unknown, res: { setHeader(name: string, value: string): unknown }): void => {
    res.setHeader("Connection", "close");
  };
  server.prependListener("request", closeAfterResponse);
  return () => {
    process.off("message", onMessage);
    server.off("request", closeAfterResponse);
  };
}

/**
 * Makes the engine.io server under Primus (socket.io or engine.io transformer) issue ids
 * naming this worker. The "websockets" transformer has no sessions to route: false.
 */
export function nameSessionsAfter(primus: Primus, workerId: number): boolean {
  const service = primus.transformer.service as { engine?: unknown; generateId?: unknown } | undefined;
  const engine = (service?.engine ?? service) as { generateId?: unknown; handleRequest?: unknown } | undefined;
  if (!engine || typeof engine.generateId !== "function" || typeof engine.handleRequest !== "function") return false;
  engine.generateId = sessionIdsFor(workerId);
  return true;
}
