/**
 * runCluster(): the same script runs as the primary (routes connections, keeps the workers
 * running) and as each worker (builds the user's app and serves what the primary hands it).
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { createLogger } from "../logger.js";
import { checkKeys, isPlainObject, runnerKeys } from "../option-checks.js";
import { runnerDefaults } from "../options.js";
import { runPrimary } from "./worker-pool.js";
import { runWorker } from "./worker-process.js";
import type { ClusterOptions, ClusterRun, ResolvedClusterOptions } from "./cluster-types.js";

export type { ClusterOptions, ClusterRun, ResolvedClusterOptions, WorkerApp } from "./cluster-types.js";

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
