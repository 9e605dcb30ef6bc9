/** runCluster()'s option and result types, shared by the primary's and the workers' modules. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ActionheroWs } from "../actionhero-ws.js";
import type { Logger } from "../logger.js";

/** What the app factory returns in each worker: a request handler (an Express app) and its actionheroWs. */
export interface WorkerApp {
  app: (req: IncomingMessage, res: ServerResponse) => void;
  /** Must use Redis (`redis` option): the workers are separate processes sharing rooms. */
  ws: ActionheroWs;
}

export interface ClusterOptions {
  /** Called once in each worker (never in the primary); `index` is 0..workers-1, kept by a replacement. */
  app: (worker: { index: number }) => WorkerApp | Promise<WorkerApp>;
  /** Port the primary listens on (default 8080; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default: all interfaces). */
  host?: string;
  /** Worker processes (default: the number of cores). */
  workers?: number;
  /** How long the workers may take to start before runCluster rejects (default 30 s). */
  startTimeoutMs?: number;
  /** How long each worker's `ws.close()` may take on shutdown before it is killed (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Worker crashes, replacements and shutdown (default: silent unless DEBUG=actionhero-ws). */
  logger?: Logger;
}

export interface ResolvedClusterOptions {
  app: ClusterOptions["app"];
  port: number;
  host: string | undefined;
  workers: number;
  startTimeoutMs: number;
  shutdownTimeoutMs: number;
  logger: Logger;
}

/** In the primary: the listening runner. In a worker: its app. */
export type ClusterRun =
  | { role: "primary"; port: number; workerPids(): number[]; close(): Promise<void> }
  | { role: "worker"; index: number; ws: ActionheroWs; close(): Promise<void> };
