// Peer of ours-cluster.mjs: socket.io 4.8 on WORKERS node:cluster workers behind
// @socket.io/sticky (round-robin, advanced serialization, as its docs require) with
// @socket.io/cluster-adapter between them. Env: PORT, WORKERS. Reports the pids of the
// primary and every worker.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { Socket } from "node:net";
import { setupMaster, setupWorker } from "@socket.io/sticky";
import { createAdapter, setupPrimary } from "@socket.io/cluster-adapter";
import { serveControl } from "./control.mjs";
import { serveChat, socketIoServer } from "./socketio-peer.mjs";

const workers = Number(process.env.WORKERS ?? 2);

if (cluster.isPrimary) {
  // @socket.io/sticky 2.0.1 hands a socket to a worker while its primary still reads it: Node
  // drops what the primary reads from then until the worker's acknowledgement, and a
  // websocket client whose first frame ("40") went that way is never connected (the same
  // loss lib/workers/sticky-router.ts's stopReading prevents; bench/README.md, "Several
  // cores"). The same stop here, or 500 clients never all connect and nothing is measured.
  const send = cluster.Worker.prototype.send;
  cluster.Worker.prototype.send = function (message, handle, ...rest) {
    if (handle instanceof Socket && typeof handle._handle?.readStop === "function") {
      handle.pause();
      handle._handle.reading = false;
      handle._handle.readStop();
    }
    return send.call(this, message, handle, ...rest);
  };
  const server = createServer();
  setupMaster(server, { loadBalancingMethod: "round-robin" });
  setupPrimary();
  cluster.setupPrimary({ serialization: "advanced" });
  let ready = 0;
  const forked = [];
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    forked.push(worker);
    worker.on("message", (message) => {
      if (message?.type !== "bench-worker-ready" || ++ready < workers) return;
      server.listen(Number(process.env.PORT), "127.0.0.1", () => {
        serveControl(Number(process.env.PORT), { pids: [process.pid, ...forked.map((w) => w.process.pid)], primaryPid: process.pid });
      });
    });
  }
} else {
  const server = createServer();
  const io = socketIoServer(server);
  io.adapter(createAdapter());
  setupWorker(io);
  serveChat(io);
  process.on("disconnect", () => process.exit(0));
  process.send({ type: "bench-worker-ready" });
}
