import { readFileSync } from "node:fs";

/**
 * The Actionhero starter `status` action: who this node is and whether it is healthy.
 *
 *   client.action("status")
 *   // -> { id, name, description, version, uptime, consumedMemoryMB, connections,
 *   //      nodeStatus: "Node Healthy", problems: [] }
 *
 * It reads live server state, so it is a factory: `status(() => ws)` gets a function that
 * returns the middleware (the middleware does not exist yet while its options, including
 * this action, are being built; by the time the action runs, it does).
 */
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
const bootTime = Date.now();
const maxMemoryMB = 500; // the same threshold as Actionhero's status action

export const status = (getWs) => ({
  name: "status",
  description: "I will return some basic information about the API",
  inputs: {},
  run: async ({ response }) => {
    const ws = getWs();
    const consumedMemoryMB =
      Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 100) / 100;

    response.id = ws.id;
    response.name = pkg.name;
    response.description = pkg.description;
    response.version = pkg.version;
    response.uptime = Date.now() - bootTime;
    response.consumedMemoryMB = consumedMemoryMB;
    response.connections = ws.connections.size;
    response.nodeStatus = "Node Healthy";
    response.problems = [];

    if (consumedMemoryMB > maxMemoryMB) {
      response.nodeStatus = "Node Unhealthy";
      response.problems.push(`Using more than ${maxMemoryMB} MB of RAM/HEAP`);
    }
  },
});
