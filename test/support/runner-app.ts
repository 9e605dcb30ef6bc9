/**
 * A runCluster() app for the runner tests, run as a child process:
 *
 *   RUNNER_REDIS=redis://127.0.0.1:6390 RUNNER_PREFIX=p: RUNNER_WORKERS=2 \
 *     RUNNER_PUBLIC=/tmp/dir node dist/test/support/runner-app.js
 *
 * Without RUNNER_REDIS the workers use the embedded store (runCluster must refuse that).
 * The primary prints JSON lines: `{"event":"listening","port"}` once ready, `{"error"}` if
 * runCluster rejects, and the runner's log lines (`{"log","msg",...}`: worker ready, died).
 * Before runCluster it sets `serialization: "json"`, the setting that silently breaks
 * @socket.io/sticky: our routing must not depend on it. Actions: `whoami` -> {pid, index}.
 * RUNNER_BUSY=<ms>: every process (primary and workers) blocks its event loop that long
 * after each round of I/O, as on a machine whose cores are all taken: what a client sends
 * right after its connection was handed over arrives while neither the primary nor the
 * worker is looking (test/workers/handoff.test.ts).
 * RUNNER_WORKER_BUSY=<ms>: the same in the workers only: they take that long to acknowledge
 * a connection, so the primary's next ones wait in Node's queue (test/workers/queued-handoff.test.ts).
 */
import cluster from "node:cluster";
import express from "express";
import { actionheroWs, type Logger } from "../../lib/index.js";
import { runCluster } from "../../lib/workers/index.js";

const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (level: string) => (obj: object | string, msg?: string): void => {
  if (level !== "debug") print({ log: level, msg, ...(typeof obj === "string" ? { text: obj } : obj) });
};
const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };

if (cluster.isPrimary) cluster.setupPrimary({ serialization: "json" });

const busyMs = Number((cluster.isPrimary ? undefined : process.env.RUNNER_WORKER_BUSY) ?? process.env.RUNNER_BUSY ?? 0);
if (busyMs > 0) {
  // in the check phase, right after the I/O just read: a process comes back to its
  // sockets only after what the others did meanwhile
  const block = (): void => {
    const until = performance.now() + busyMs;
    while (performance.now() < until);
    setImmediate(block).unref();
  };
  setImmediate(block).unref();
}

runCluster({
  port: 0,
  host: "127.0.0.1",
  workers: Number(process.env.RUNNER_WORKERS ?? 2),
  shutdownTimeoutMs: 3_000,
  logger,
  app: ({ index }) => {
    const ws = actionheroWs({
      redis: process.env.RUNNER_REDIS || undefined,
      redisPrefix: process.env.RUNNER_PREFIX,
      redisStartTimeoutMs: 5_000,
      heartbeatMs: 100,
      nodeTtlMs: 1_500,
      // one folder per worker: two processes must not write the same client file at once
      publicDir: `${process.env.RUNNER_PUBLIC ?? "public"}/w${index}`,
      startingChatRooms: { defaultRoom: {} },
      actions: [{ name: "whoami", run: () => ({ pid: process.pid, index }) }],
    });
    const app = express();
    app.use(ws);
    return { app, ws };
  },
}).then(
  (run) => {
    if (run.role === "primary") print({ event: "listening", port: run.port, pids: run.workerPids() });
  },
  (error: unknown) => {
    print({ error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  },
);
