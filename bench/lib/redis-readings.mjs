// Redis for the scale-out bench: a throw-away 3-master Redis Cluster (no replicas: the bench
// measures fan-out, not failover, and a replica would double each shard's pub/sub work on a
// 2-core machine), and what Redis says about its own work (INFO cpu + commandstats).
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./procs.mjs";

const run = promisify(execFile);

/** `masters` cluster-enabled redis-servers on free 127.0.0.1 ports, joined with `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ahws-bench-cluster-"));
  const servers = [];
  const killAll = () => servers.forEach((s) => s.child.kill("SIGKILL"));
  process.once("exit", killAll);
  const stop = async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
      s.child.once("exit", resolve);
      s.child.kill("SIGKILL");
    })));
    process.removeListener("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const nodeDir = path.join(dir, String(port));
      mkdirSync(nodeDir);
      const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", nodeDir, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
        "--cluster-require-full-coverage", "no"], { stdio: "ignore" });
      servers.push({ port, child, pid: child.pid, url: `redis://127.0.0.1:${port}` });
    }
    await until(async () => (await Promise.all(servers.map((s) => redisText(s.port, ["PING"]).catch(() => "")))).every((r) => r === "PONG"), "PING");
    await run("redis-cli", ["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
    await until(async () => (await Promise.all(servers.map((s) => redisText(s.port, ["CLUSTER", "INFO"]).catch(() => ""))))
      .every((info) => info.includes("cluster_state:ok")), "cluster_state:ok");
    return { servers, urls: servers.map((s) => s.url), ports: servers.map((s) => s.port), pids: servers.map((s) => s.pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function until(condition, what) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Redis Cluster: no ${what} within 30 s`);
}

/** One RESP command over a fresh socket; resolves with a simple or bulk reply as text. */
export function redisText(port, words) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let reply = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error("redis command timed out")));
    socket.once("error", reject);
    socket.once("connect", () => socket.write(`*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`));
    socket.on("data", (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf("\r\n");
      if (end < 0) return;
      const head = reply.subarray(0, end).toString();
      if (head[0] === "$") {
        const length = Number(head.slice(1));
        if (reply.length < end + 2 + length) return;
        socket.end();
        return resolve(reply.subarray(end + 2, end + 2 + length).toString());
      }
      socket.end();
      if (head[0] === "-") return reject(new Error(head.slice(1)));
      resolve(head.slice(1));
    });
  });
}

/**
 * Redis's own CPU (used_cpu_sys + used_cpu_user, µs: finer than /proc's 10 ms ticks) and its
 * publishes (PUBLISH + SPUBLISH calls; `sharded`: the SPUBLISH ones), summed over `ports` (every master of a cluster).
 */
export async function redisWork(ports) {
  let cpuUs = 0;
  let publishes = 0;
  let sharded = 0;
  for (const port of ports) {
    const info = await redisText(port, ["INFO", "cpu", "commandstats"]);
    const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
    cpuUs += (field("used_cpu_sys") + field("used_cpu_user")) * 1e6;
    const calls = (command) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0);
    publishes += calls("publish") + calls("spublish");
    sharded += calls("spublish");
  }
  return { cpuUs, publishes, sharded };
}
