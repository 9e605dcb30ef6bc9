// The example chat on every core: runCluster forks WORKERS processes (default: the number
// of cores), each running the same app as `npm start`, behind one port, with long-polling
// sessions routed to the worker that holds them. The workers share rooms through Redis.
//
//   REDIS_URL=redis://127.0.0.1:6379 npm run start:cluster          # http://localhost:8080/
//   WORKERS=4 PORT=3000 REDIS_URL=redis://127.0.0.1:6379 npm run start:cluster
//
// Environment: as server.js (REDIS_URL is required here), plus WORKERS.

import { runCluster } from "actionhero-ws/cluster";
import { createChatApp } from "./chat-app.js";

const workers = process.env.WORKERS ? Number(process.env.WORKERS) : undefined;
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST || undefined;

const logger = {
  debug: () => {},
  info: (obj, msg) => console.log(msg ?? obj, typeof obj === "object" ? JSON.stringify(obj) : ""),
  warn: (obj, msg) => console.warn(msg ?? obj, typeof obj === "object" ? JSON.stringify(obj) : ""),
  error: (obj, msg) => console.error(msg ?? obj, typeof obj === "object" ? JSON.stringify(obj) : ""),
};

runCluster({ app: () => createChatApp(), workers, port, host, logger }).then(
  (run) => {
    if (run.role !== "primary") return;
    const shownHost = !host || host === "0.0.0.0" || host === "::" ? "localhost" : host;
    console.log(`actionhero-ws example on ${run.workerPids().length} workers listening on http://${shownHost}:${run.port}/`);
  },
  (err) => {
    console.error(`actionhero-ws example could not start: ${err.message}`);
    process.exit(1);
  },
);
