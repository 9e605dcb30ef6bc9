/**
 * The primary: forks the workers, routes connections to them (sticky-router.ts), replaces a
 * worker that dies, and on SIGTERM/SIGINT closes them all gracefully. The primary listens
 * only once every worker is ready, so no early client meets a worker without its app.
 */
import cluster, { type Worker } from "node:cluster";
import { createServer, type AddressInfo } from "node:net";
import { runnerDefaults } from "../options.js";
import type { ClusterRun, ResolvedClusterOptions } from "./cluster-types.js";
import { StickyRouter } from "./sticky-router.js";
import { isWorkerReport, workerIndexEnv, type PrimaryCommand } from "./worker-messages.js";

export async function runPrimary(options: ResolvedClusterOptions): Promise<ClusterRun> {
  const { logger } = options;
  const server = createServer();
  const router = new StickyRouter(server);
  const slots: Array<Worker | undefined> = new Array(options.workers).fill(undefined);
  let started = false;
  let stopping = false;
  let startFailed: (error: Error) => void = () => undefined;
  let oneReady: () => void = () => undefined;

  const fork = (index: number): void => {
    const worker = cluster.fork({ [workerIndexEnv]: String(index) });
    const startedAt = Date.now();
    let failure: string | undefined;
    slots[index] = worker;
    worker.on("message", (message: unknown) => {
      if (!isWorkerReport(message)) return;
      if (message.type === "actionhero-ws:failed") {
        failure = message.error;
        return;
      }
      if (stopping) return;
      router.add(worker);
      logger.info({ index, pid: worker.process.pid }, "worker ready");
      oneReady();
    });
    // no "error" listener would make a failed IPC send crash the primary
    worker.on("error", (error: Error) => logger.warn({ index, error: error.message }, "worker IPC error"));
    worker.on("exit", (code: number | null, signal: string | null) => {
      router.died(worker);
      if (slots[index] === worker) slots[index] = undefined;
      if (stopping) return;
      const why = failure ?? `exited with ${signal ?? `code ${code}`}`;
      if (!started) return startFailed(new Error(`actionhero-ws: worker ${index} could not start: ${why}`));
      const quick = Date.now() - startedAt < runnerDefaults.crashLoopMs;
      logger.error({ index, pid: worker.process.pid, code, signal, failure }, "worker died; starting a replacement");
      setTimeout(() => {
        if (!stopping) fork(index);
      }, quick ? runnerDefaults.restartDelayMs : 0);
    });
  };

  const live = (): Worker[] => slots.filter((w): w is Worker => w !== undefined && !w.isDead());

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      server.close();
      const workers = live();
      const command: PrimaryCommand = { type: "actionhero-ws:shutdown" };
      for (const worker of workers) {
        router.remove(worker);
        if (worker.isConnected()) worker.send(command, undefined, undefined, () => undefined);
      }
      // ws.close() is bounded by shutdownTimeoutMs; past that (and a margin) a worker is killed
      const deadline = setTimeout(() => {
        for (const worker of live()) worker.process.kill("SIGKILL");
      }, options.shutdownTimeoutMs + 5_000);
      await Promise.all(workers.map((worker) => worker.isDead() ? undefined : new Promise((resolve) => worker.once("exit", resolve))));
      clearTimeout(deadline);
      logger.info({}, "all workers closed");
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "shutting down the workers");
    void close().then(() => process.exit());
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      startFailed = reject;
      oneReady = () => {
        if (++ready === options.workers) resolve();
      };
      const timer = setTimeout(() => reject(new Error(`actionhero-ws: the workers were not ready within ${options.startTimeoutMs} ms`)), options.startTimeoutMs);
      timer.unref();
      for (let index = 0; index < options.workers; index++) fork(index);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await close();
    throw error;
  }
  started = true;
  oneReady = () => undefined;
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const { port } = server.address() as AddressInfo;
  return {
    role: "primary",
    port,
    workerPids: () => live().map((w) => w.process.pid ?? 0),
    close,
  };
}
