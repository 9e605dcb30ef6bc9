/**
 * engine.io session ids that name their worker: `w<cluster worker id>-<20 random chars>`.
 * The primary routes a polling request by reading the id from the request line alone, so
 * it keeps no table of sessions and a session is routable from the moment its handshake
 * is answered (no message from the worker has to arrive first).
 */
import { randomBytes } from "node:crypto";

const ownerPattern = /[?&]sid=w(\d+)-/;

/** A session id generator for the engine of the worker with this cluster id. */
export function sessionIdsFor(workerId: number): () => string {
  const prefix = `w${workerId}-`;
  // 15 random bytes: engine.io's own ids carry the same entropy (base64id)
  return () => prefix + randomBytes(15).toString("base64url");
}

/** The cluster worker id a request line's `sid` names, if it names one. */
export function workerOfRequestLine(requestLine: string): number | undefined {
  const match = ownerPattern.exec(requestLine);
  return match ? Number(match[1]) : undefined;
}
