/**
 * One cluster node for the multi-process tests: an Express app with actionheroWs on a
 * shared Redis, listening on 127.0.0.1:<free port>. Run as a child process:
 *
 *   CLUSTER_REDIS=redis://127.0.0.1:6390 CLUSTER_PREFIX=p: CLUSTER_NODE_ID=node-a \
 *     node dist/test/support/cluster-node.js
 *
 * CLUSTER_REDIS may list several URLs (comma-separated): a Redis Cluster's root nodes.
 * Optional: CLUSTER_HEARTBEAT_MS, CLUSTER_NODE_TTL_MS, CLUSTER_RPC_TIMEOUT_MS,
 * CLUSTER_CHANNEL_MODE (per-room | single), CLUSTER_LINGER_MS, CLUSTER_CHECK_MS, and
 * CLUSTER_PUBLIC_DIR (write and serve the generated client from there).

 *
 * Prints one JSON line `{"url","id","pid"}` on stdout once ready (or `{"error"}` and exits
 * 1), and exits 0 after a graceful close on SIGTERM.
 *
 * Test-only debug routes (never in the library): POST /debug/<method> with a JSON body
 *   addMember {connectionId, room} | removeMember {connectionId, room} |
 *   roomStatus {room} | broadcast {room, message} | add {room} | destroy {room}
 * answer `{ok: true, result}` or `{ok: false, error}`; GET /debug/state answers this
 * node's connections with their rooms, the ids whose leave it announced, and how many
 * polling requests named a session this node does not hold (`unknownSessions`: behind a
 * balancer, a request that reached the wrong process).
 *
 * Chat middleware installed: `leave` broadcasts `I have left the room: <id>` from "0"
 * (for live and swept members alike), and `join` refuses rooms starting with `closed-`.
 */
import express from "express";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { actionheroWs } from "../../lib/index.js";
import { allTestActions } from "./test-actions.js";
import { fixturesPublic } from "./test-server.js";

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const url = process.env.CLUSTER_REDIS;
  const id = process.env.CLUSTER_NODE_ID;
  if (!url || !id) throw new Error("CLUSTER_REDIS and CLUSTER_NODE_ID are required");
  // several comma-separated URLs: the root nodes of a Redis Cluster
  const redis = url.includes(",") ? { cluster: { rootNodes: url.split(",").map((node) => ({ url: node })) } } : url;

  const ws = actionheroWs({
    redis,
    redisPrefix: process.env.CLUSTER_PREFIX ?? "actionhero:",
    id,
    heartbeatMs: envInt("CLUSTER_HEARTBEAT_MS"),
    nodeTtlMs: envInt("CLUSTER_NODE_TTL_MS"),
    rpcTimeout: envInt("CLUSTER_RPC_TIMEOUT_MS"),
    channelMode: process.env.CLUSTER_CHANNEL_MODE === "single" ? "single" : undefined,
    roomLingerMs: process.env.CLUSTER_LINGER_MS === "0" ? 0 : envInt("CLUSTER_LINGER_MS"),
    subscriptionCheckMs: envInt("CLUSTER_CHECK_MS"),
    redisStartTimeoutMs: 5000,
    actions: allTestActions,
    publicDir: process.env.CLUSTER_PUBLIC_DIR || fixturesPublic,
    ...(process.env.CLUSTER_PUBLIC_DIR ? {} : { clientJsName: null }),
    startingChatRooms: { defaultRoom: {}, otherRoom: {} },
  });
  ws.on("error", (error) => process.stderr.write(`ws error: ${error.message}\n`));

  /** ids whose departure this node announced (swept ghosts included) */
  const announced: Array<{ id: string; room: string; local: boolean }> = [];
  ws.chatRoom.addMiddleware({
    name: "cluster-test",
    join: (_connection, room) => {
      if (room.startsWith("closed-")) throw new Error(`room ${room} is closed`);
    },
    leave: async (connection, room) => {
      announced.push({ id: connection.id, room, local: ws.connections.has(connection.id) });
      await ws.chatRoom.broadcast({}, room, `I have left the room: ${connection.id}`);
    },
  });

  const app = express();
  app.use(ws);
  app.post("/debug/:method", express.json(), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const room = body.room as string;
    const connectionId = body.connectionId as string;
    const chat = ws.chatRoom;
    const calls: Record<string, () => Promise<unknown>> = {
      addMember: () => chat.addMember(connectionId, room),
      removeMember: () => chat.removeMember(connectionId, room),
      roomStatus: () => chat.roomStatus(room),
      broadcast: () => chat.broadcast({}, room, body.message),
      add: () => chat.add(room),
      destroy: () => chat.destroy(room),
    };
    const call = calls[String(req.params.method)];
    if (!call) {
      res.status(404).json({ ok: false, error: `unknown debug method ${req.params.method}` });
      return;
    }
    try {
      res.json({ ok: true, result: await call() });
    } catch (error) {
      res.json({ ok: false, error: String(error) });
    }
  });
  app.get("/debug/state", (_req, res) => {
    res.json({
      id: ws.id,
      connections: [...ws.connections.values()].map((c) => ({ id: c.id, rooms: c.rooms })),
      announced,
      unknownSessions,
      stats: ws.stats(),
    });
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  ws.attach(server);
  let unknownSessions = 0;
  const engine = (ws.primus!.transformer.service as { engine: { on(event: string, fn: (error: { code?: number }) => void): void } }).engine;
  engine.on("connection_error", (error) => {
    if (error.code === 1) unknownSessions++; // engine.io: "Session ID unknown"
  });
  try {
    await ws.ready();
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
    await ws.close({ timeoutMs: 500 });
    server.close();
    process.exitCode = 1;
    return;
  }

  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // nothing may keep the process alive now; if something does, the test sees no exit
    })();
  });

  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, id: ws.id, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exitCode = 1;
});
