/**
 * runCluster(): the same script runs as the primary (routes connections, keeps the workers
 * running) and as each worker (builds the user's app and serves what the primary hands it).
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ActionheroWs } from "../actionhero-ws.js";
import { createLogger, type Logger } from "../logger.js";
import { checkKeys, isPlainObject, runnerKeys } from "../option-checks.js";
import { runnerDefaults } from "../options.js";
import { runPrimary } from "./worker-pool.js";
import { runWorker } from "./worker-process.js";

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

export function resolveClusterOptions(input: ClusterOptions): ResolvedClusterOptions {
  if (!isPlainObject(input)) throw new TypeError("actionhero-ws: runCluster() needs an options object with `app`");
  checkKeys("runCluster.", input, runnerKeys);
  if (input.app === undefined) throw new TypeError('actionhero-ws: option "runCluster.app" is required: a function returning { app, ws }');
  return {
    app: input.app,
    port: input.port ?? runnerDefaults.port,
    host: input.host,
    workers: input.workers ?? availableParallelism(),
    startTimeoutMs: input.startTimeoutMs ?? runnerDefaults.startTimeoutMs,
    shutdownTimeoutMs: input.shutdownTimeoutMs ?? runnerDefaults.shutdownTimeoutMs,
    logger: createLogger(input.logger),
  };
}

/**
 * Runs `options.app` in `workers` processes behind one port with sticky routing of
 * long-polling sessions. Resolves once every worker is ready (primary) or this worker is
 * (worker). Rejects with the first worker's start error (a missing `redis` among them);
 * throws a TypeError naming the key for an unknown or mistyped option. SIGTERM or SIGINT
 * to the primary closes every worker gracefully (`ws.close()`), then the primary exits.
 */
export function runCluster(options: ClusterOptions): Promise<ClusterRun> {
  const resolved = resolveClusterOptions(options);
  return cluster.isPrimary ? runPrimary(resolved) : runWorker(resolved);
}
