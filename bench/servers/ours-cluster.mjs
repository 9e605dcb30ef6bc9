// actionhero-ws under its own runCluster (actionhero-ws/cluster): WORKERS processes behind
// one port, Redis between them. Env: PORT, REDIS_URL (required), WORKERS. Reports the pids
// of the primary and every worker, so the orchestrator sums their CPU and shows the
// primary's share (the routing cost) on its own.
import express from "express";
const { actionheroWs } = await import("../../dist/lib/index.js");
const { runCluster } = await import("../../dist/lib/workers/index.js");
const { serveControl } = await import("./control.mjs");

// warnings and errors reach the bench's output: a dropped message stalls a fan-out phase
const quiet = { debug() {}, info() {}, warn: (o, m) => console.error("ours-cluster warn:", m ?? "", JSON.stringify(o)), error: (o, m) => console.error("ours-cluster error:", m ?? "", JSON.stringify(o)) };
const echo = { name: "echo", inputs: { value: { required: true } }, run: async ({ params }) => ({ echo: params.value }) };

const run = await runCluster({
  port: Number(process.env.PORT),
  host: "127.0.0.1",
  workers: Number(process.env.WORKERS ?? 2),
  logger: quiet,
  app: () => {
    const ws = actionheroWs({
      redis: process.env.REDIS_URL,
      actions: [echo],
      startingChatRooms: { bench: {} },
      clientJsName: null,
      logger: quiet,
      // as ours.mjs: the bench's single sender and single address would hit the limits
      limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, pendingHandshakesPerIp: 1_000_000, pendingHandshakes: 1_000_000 },
    });
    const app = express();
    app.use(ws);
    return { app, ws };
  },
});
if (run.role === "primary") serveControl(run.port, { pids: [process.pid, ...run.workerPids()], primaryPid: process.pid });
