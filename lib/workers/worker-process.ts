/**
 * One worker's life: build the user's app, check it shares rooms through Redis, serve the
 * connections the primary hands over, report ready; on the primary's word (or SIGTERM, or
 * the primary's death) close gracefully and exit.
 */
import cluster from "node:cluster";
import { createServer, type Server } from "node:http";
import type { ClusterRun, ResolvedClusterOptions, WorkerApp } from "./cluster-types.js";
import { acceptHandedConnections, nameSessionsAfter } from "./worker-connections.js";
import { isPrimaryCommand, workerIndexEnv, type WorkerReport } from "./worker-messages.js";

function report(message: WorkerReport, then?: () => void): void {
  if (process.send) process.send(message, undefined, undefined, () => then?.());
  else then?.();
}

function checkWorkerApp(made: unknown): WorkerApp {
  const { app, ws } = (made ?? {}) as Partial<WorkerApp>;
  if (typeof app !== "function" || typeof ws !== "function" || typeof ws.attach !== "function") {
    throw new TypeError("actionhero-ws: runCluster's app() must return { app, ws }: a request handler (an Express app) and its actionheroWs()");
  }
  if (ws.stats().store.kind !== "redis") {
    throw new Error(
      "actionhero-ws: runCluster needs Redis: pass `redis` to actionheroWs() in app(). "
        + "Each worker is a separate process; with the embedded store their rooms would not be shared.",
    );
  }
  return { app, ws };
}

export async function runWorker(options: ResolvedClusterOptions): Promise<ClusterRun> {
  const index = Number(process.env[workerIndexEnv] ?? 0);
  const workerId = cluster.worker?.id ?? 0;
  // Ctrl-C reaches every process of the terminal's group: the primary orders the shutdown.
  process.on("SIGINT", () => undefined);
  let made: WorkerApp;
  let server: Server;
  try {
    made = checkWorkerApp(await options.app({ index }));
    server = createServer(made.app);
    made.ws.attach(server);
    if (made.ws.primus) nameSessionsAfter(made.ws.primus, workerId);
    await made.ws.ready();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // the primary reports it (runCluster rejects there); this process has nothing to serve
    report({ type: "actionhero-ws:failed", error: message }, () => process.exit(1));
    return new Promise<never>(() => undefined);
  }
  const stopAccepting = acceptHandedConnections(server);
  const { ws } = made;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopAccepting();
      try {
        await ws.close({ timeoutMs: options.shutdownTimeoutMs });
      } catch (error) {
        options.logger.error({ error: String(error) }, "worker: ws.close() failed");
        process.exitCode = 1;
      }
      server.closeAllConnections();
      server.close(() => undefined);
      process.exit();
    })();
    return closing;
  };
  process.on("message", (message: unknown) => {
    if (isPrimaryCommand(message) && message.type === "actionhero-ws:shutdown") void close();
  });
  process.on("SIGTERM", () => void close());
  // an orphan (the primary died) must not keep serving nor linger
  process.on("disconnect", () => void close());
  report({ type: "actionhero-ws:ready", index });
  return { role: "worker", index, ws, close };
}
