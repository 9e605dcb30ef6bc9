// Scale-out on Redis (issue 15): 4 nodes of ours and of socket.io 4.8 + @socket.io/redis-adapter,
// on a private redis-server and a private 3-master Redis Cluster (both killed by pid at the end).
//   rooms:  100 rooms, each node has members in its own 25 (room r on node r % 4); says spread
//           over all rooms, each sent by a member of its room on the room's node. Per node:
//           messages received from Redis, deliveries to its clients, CPU; Redis CPU per publish.
//   listen: the issue's layout: node n has members in room r<n> only (1 of 100), a fifth node
//           publishes the says server-side over all 100 rooms: the bus cost on its own.
//   fanout: one room with members on all 4 nodes, one sender on node 0: server CPU per delivery
//           and Redis CPU per publish, one Redis vs Redis Cluster.
//   node bench/scaleout.mjs [--smoke] [--only=rooms,listen,fanout] [--runs=N] [--out=DIR]
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ask, cpuMicros, freePort, machineBusyMicros, startNode, startRedis, stop } from "./lib/procs.mjs";
import { redisWork, startRedisCluster } from "./lib/redis-readings.mjs";
import { countDeliveries, openMembers, runSays, sleep } from "./lib/scaleout-load.mjs";
import { report } from "./lib/scaleout-report.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? true]));
const smoke = args.has("smoke");
const runs = Number(args.get("runs") ?? 1);
const only = args.has("only") ? String(args.get("only")).split(",") : ["rooms", "listen", "fanout"];
const outDir = path.resolve(String(args.get("out") ?? path.join(here, "results")));
const NODES = 4;
const ROOMS = 100;
const sizes = smoke
  ? { says: 1_000, perRoom: 2, window: 50, fanPerNode: 10, fanMessages: 200, fanWarmup: 20, fanWindow: 16, pad: 32, timeoutMs: 30_000, pauseMs: 150 }
  : { says: 20_000, perRoom: 3, window: 100, fanPerNode: 50, fanMessages: 2_000, fanWarmup: 100, fanWindow: 16, pad: 32, timeoutMs: 180_000, pauseMs: 300 };

// name, server script, env, which Redis; rooms and listen run every target, fanout all but `single`.
const targets = [
  { name: "ours, one Redis, single channel", key: "ours-single", script: "scaleout-ours.mjs", dialect: "primus-sio", env: { CHANNEL_MODE: "single" }, redis: "standalone" },
  { name: "ours, one Redis, per-room (default)", key: "ours-per-room", script: "scaleout-ours.mjs", dialect: "primus-sio", env: { CHANNEL_MODE: "per-room" }, redis: "standalone" },
  { name: "ours, Redis Cluster (sharded)", key: "ours-cluster", script: "scaleout-ours.mjs", dialect: "primus-sio", env: {}, redis: "cluster" },
  { name: "socket.io, one Redis, createAdapter", key: "sio-classic", script: "scaleout-socketio.mjs", dialect: "sio", env: { ADAPTER: "classic" }, redis: "standalone" },
  { name: "socket.io, one Redis, createShardedAdapter", key: "sio-sharded", script: "scaleout-socketio.mjs", dialect: "sio", env: { ADAPTER: "sharded" }, redis: "standalone" },
  { name: "socket.io, Redis Cluster, createShardedAdapter", key: "sio-sharded-cluster", script: "scaleout-socketio.mjs", dialect: "sio", env: { ADAPTER: "sharded" }, redis: "cluster" },
];

async function startNodes(target, redis, count = NODES) {
  const env = { ...target.env, ROOMS: String(ROOMS), ...(target.redis === "cluster" ? { REDIS_CLUSTER_NODES: redis.urls.join(",") } : { REDIS_URL: redis.url }) };
  const ports = [];
  for (let n = 0; n < count; n++) ports.push(await freePort());
  // all at once: a node's start is mostly waiting (Redis, the first subscriptions)
  const started = await Promise.allSettled(ports.map((port) => startNode(path.join(here, "servers", target.script), { env: { ...env, PORT: String(port) }, cwd: here })));
  const nodes = started.filter((s) => s.status === "fulfilled").map((s) => s.value);
  const failure = started.find((s) => s.status === "rejected");
  if (failure) {
    await Promise.all(nodes.map((child) => stop(child)));
    throw failure.reason;
  }
  return nodes;
}

/** Every reading taken at the edges of the measured window. */
async function readings(nodes, redis) {
  // process.cpuUsage() in each node: µs, where /proc counts 10 ms ticks
  const replies = await Promise.all(nodes.map((child) => ask(child, { type: "received" }, "received-done")));
  return {
    at: performance.now(),
    nodeCpu: replies.map((r) => r.cpu.user + r.cpu.system),
    received: replies.map((r) => r.received),
    redis: await redisWork(redis.ports),
    redisProcCpu: redis.pids.reduce((sum, pid) => sum + cpuMicros(pid), 0),
    busy: machineBusyMicros(),
    self: process.cpuUsage(),
  };
}

/** Waits until no node's received count moved for `pauseMs` (nodes still reading their subscriber), at most 50 polls. */
async function settle(nodes) {
  let last = "";
  for (let i = 0; i < 50; i++) {
    const now = JSON.stringify(await Promise.all(nodes.map((child) => ask(child, { type: "received" }, "received-done").then((r) => r.received))));
    if (now === last) return;
    last = now;
    await sleep(sizes.pauseMs);
  }
}

function measure(before, after, says, redis, extra) {
  const wallUs = (after.at - before.at) * 1000;
  const nodeCpu = after.nodeCpu.map((v, n) => v - before.nodeCpu[n]);
  const redisCpu = after.redis.cpuUs - before.redis.cpuUs;
  const publishes = after.redis.publishes - before.redis.publishes;
  const sharded = after.redis.sharded - before.redis.sharded;
  const selfUs = after.self.user + after.self.system - before.self.user - before.self.system;
  const ours = nodeCpu.reduce((a, b) => a + b, 0) + (after.redisProcCpu - before.redisProcCpu) + selfUs;
  return {
    says,
    received: after.received.map((v, n) => v - before.received[n]),
    nodeCpuMs: nodeCpu.map((us) => us / 1000),
    redisCpuUsPerPublish: publishes ? redisCpu / publishes : NaN,
    // less what this Redis (or cluster) spends idle over the same time (its cron, cluster pings)
    redisNetCpuUsPerPublish: publishes ? (redisCpu - (redis.idleUsPerS * wallUs) / 1e6) / publishes : NaN,
    publishes,
    publishKind: sharded === 0 ? "PUBLISH" : sharded === publishes ? "SPUBLISH" : `${sharded} SPUBLISH`,
    wallMs: wallUs / 1000,
    // the machine's busy time that is none of the bench's processes, in % of one core
    otherJobsPct: (100 * Math.max(0, after.busy - before.busy - ours)) / wallUs,
    ...extra,
  };
}

async function roomsPhase(target, redis) {
  const nodes = await startNodes(target, redis);
  let load;
  try {
    const urls = nodes.map((child) => `http://127.0.0.1:${child.info.port}`);
    const placement = Array.from({ length: ROOMS }, (_, r) => ({ node: r % NODES, room: `r${r}`, count: sizes.perRoom }));
    load = await openMembers(target.dialect, urls, placement);
    await sleep(sizes.pauseMs);
    const roomOf = (i) => `r${i % ROOMS}`;
    await runSays(load, { says: ROOMS, roomOf, window: sizes.window, pad: sizes.pad, nodes: NODES, timeoutMs: 30_000, first: 0 });
    await settle(nodes);
    const before = await readings(nodes, redis);
    const run = await runSays(load, { says: sizes.says, roomOf, window: sizes.window, pad: sizes.pad, nodes: NODES, timeoutMs: sizes.timeoutMs, first: 1_000_000 });
    await settle(nodes);
    const after = await readings(nodes, redis);
    return measure(before, after, sizes.says, redis, { deliveries: run.deliveries, p50: run.p50, p99: run.p99 });
  } finally {
    load?.close();
    await Promise.all(nodes.map((child) => stop(child)));
  }
}

/**
 * The issue's layout: node n has members in room r<n> only (1 of 100 rooms); a fifth node of
 * the same kind, with no clients, publishes the says server-side over all 100 rooms, so the
 * 4 listening nodes' CPU is what they spend on the bus and their few members.
 */
async function listenPhase(target, redis) {
  const nodes = await startNodes(target, redis, NODES + 1);
  const publisher = nodes[NODES];
  let load;
  try {
    const urls = nodes.slice(0, NODES).map((child) => `http://127.0.0.1:${child.info.port}`);
    load = await openMembers(target.dialect, urls, Array.from({ length: NODES }, (_, node) => ({ node, room: `r${node}`, count: sizes.perRoom })));
    await sleep(sizes.pauseMs);
    const publish = async (says, first) => {
      // says i with i % ROOMS < NODES land in a room with members (sizes.perRoom each)
      const expected = Array.from({ length: says }, (_, i) => (i % ROOMS < NODES ? sizes.perRoom : 0)).reduce((a, b) => a + b, 0);
      const counted = countDeliveries(load, { says, expected, nodes: NODES, timeoutMs: sizes.timeoutMs, first });
      counted.catch(() => undefined); // awaited below; this only keeps a timeout during `ask` from being unhandled
      const reply = await ask(publisher, { type: "publish", says, rooms: ROOMS, window: sizes.window, pad: sizes.pad, first }, "publish-done", sizes.timeoutMs);
      if (reply.error) throw new Error(`publisher: ${reply.error}`);
      return counted;
    };
    await publish(ROOMS, 0);
    await settle(nodes);
    const before = await readings(nodes, redis);
    const run = await publish(sizes.says, 1_000_000);
    await settle(nodes);
    const after = await readings(nodes, redis);
    const result = measure(before, after, sizes.says, redis, { deliveries: run.deliveries });
    return { ...result, received: result.received.slice(0, NODES), nodeCpuMs: result.nodeCpuMs.slice(0, NODES), publisherCpuMs: result.nodeCpuMs[NODES], publisherReceived: result.received[NODES] };
  } finally {
    load?.close();
    await Promise.all(nodes.map((child) => stop(child)));
  }
}

async function fanoutPhase(target, redis) {
  const nodes = await startNodes(target, redis);
  let load;
  try {
    const urls = nodes.map((child) => `http://127.0.0.1:${child.info.port}`);
    load = await openMembers(target.dialect, urls, Array.from({ length: NODES }, (_, node) => ({ node, room: "fan", count: sizes.fanPerNode })));
    await sleep(sizes.pauseMs);
    const roomOf = () => "fan";
    await runSays(load, { says: sizes.fanWarmup, roomOf, window: sizes.fanWindow, pad: sizes.pad, nodes: NODES, timeoutMs: 30_000, first: 0 });
    await settle(nodes);
    const before = await readings(nodes, redis);
    const run = await runSays(load, { says: sizes.fanMessages, roomOf, window: sizes.fanWindow, pad: sizes.pad, nodes: NODES, timeoutMs: sizes.timeoutMs, first: 1_000_000 });
    await settle(nodes);
    const after = await readings(nodes, redis);
    const deliveries = run.deliveries.reduce((a, b) => a + b, 0);
    const result = measure(before, after, sizes.fanMessages, redis, { deliveries: run.deliveries, p50: run.p50, p99: run.p99 });
    return { ...result, serverCpuUsPerDelivery: (1000 * result.nodeCpuMs.reduce((a, b) => a + b, 0)) / deliveries, deliveriesPerSecond: (deliveries / run.durationMs) * 1000 };
  } finally {
    load?.close();
    await Promise.all(nodes.map((child) => stop(child)));
  }
}

/** Redis CPU per second with no client at all, over 2 s (0.5 s with --smoke) (the cron; on a cluster, its pings too). */
async function idleCpu(redis) {
  const before = await redisWork(redis.ports);
  const t0 = performance.now();
  await sleep(smoke ? 500 : 2000);
  const after = await redisWork(redis.ports);
  return ((after.cpuUs - before.cpuUs) * 1000) / (performance.now() - t0);
}

const started = Date.now();
const standalone = await startRedis();
standalone.ports = [standalone.port];
standalone.pids = [standalone.pid];
let cluster;
const results = [];
try {
  cluster = await startRedisCluster(3);
  for (const redis of [standalone, cluster]) redis.idleUsPerS = await idleCpu(redis);
  const machine = { date: new Date().toISOString(), mode: smoke ? "--smoke" : "full", nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? "?", node: process.version, redisIdleUsPerS: { standalone: standalone.idleUsPerS, cluster: cluster.idleUsPerS }, redis: (await import("node:child_process")).execFileSync("redis-server", ["--version"], { encoding: "utf8" }).split(" ")[2], sizes };
  for (let run = 1; run <= runs; run++) {
    for (const phase of ["rooms", "listen", "fanout"].filter((p) => only.includes(p))) {
      for (const target of targets) {
        if (phase === "fanout" && target.key === "ours-single") continue;
        const redis = target.redis === "cluster" ? cluster : standalone;
        const t0 = Date.now();
        try {
          const result = await { rooms: roomsPhase, listen: listenPhase, fanout: fanoutPhase }[phase](target, redis);
          results.push({ phase, run, name: target.name, key: target.key, ...result });
        } catch (error) {
          results.push({ phase, run, name: target.name, key: target.key, error: String(error?.stack ?? error) });
        }
        console.error(`${phase} · ${target.key} · run ${run}: ${((Date.now() - t0) / 1000).toFixed(1)} s${results.at(-1).error ? ` FAILED ${results.at(-1).error.split("\n")[0]}` : ""}`);
      }
    }
  }
  const markdown = report(results, machine, { sizes, nodes: NODES, rooms: ROOMS });
  console.log(markdown);
  mkdirSync(outDir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, "-");
  writeFileSync(path.join(outDir, `scaleout-${stamp}.json`), JSON.stringify({ machine, results, elapsedS: (Date.now() - started) / 1000 }, null, 2));
  writeFileSync(path.join(outDir, `scaleout-${stamp}.md`), `${markdown}\n`);
  console.error(`written: ${path.join(outDir, `scaleout-${stamp}.md`)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
} finally {
  await cluster?.stop();
  await standalone.stop();
}
process.exitCode = results.some((r) => r.error) ? 1 : 0;
