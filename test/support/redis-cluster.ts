/**
 * A real throw-away Redis Cluster for tests: `masters` masters with one replica each, on
 * free 127.0.0.1 ports, no persistence, each in its own temp dir; created with
 * `redis-cli --cluster create` and ready once every node reports `cluster_state:ok`.
 * `stop()` kills every process (by its pid) and removes the dirs.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 30_000;

export interface ClusterServer {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
}

export interface RedisClusterUnderTest {
  readonly servers: ClusterServer[];
  /** `redis://127.0.0.1:<port>` of every node, for `rootNodes` */
  readonly urls: string[];
  /** Runs redis-cli against one node (`-c` off), returning its trimmed output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** SIGKILLs one node (a crash). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterUnderTest> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-cluster-"));
  const servers: ClusterServer[] = [];
  const killAll = () => servers.forEach((s) => s.child.kill("SIGKILL"));
  process.once("exit", killAll);
  const cli = async (port: number, ...args: string[]) =>
    (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 20_000 })).stdout.trim();
  const cluster: RedisClusterUnderTest = {
    servers,
    get urls() {
      return servers.map((s) => s.url);
    },
    cli,
    async kill(port) {
      const server = servers.find((s) => s.port === port);
      if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
      const exited = new Promise((resolve) => server.child.once("exit", resolve));
      server.child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      await Promise.all(servers.map((s) => cluster.kill(s.port)));
      process.removeListener("exit", killAll);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < masters * 2; i++) {
      const port = await freePort();
      const nodeDir = path.join(dir, String(port));
      await run("mkdir", ["-p", nodeDir]);
      const child = spawn("redis-server", [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", nodeDir,
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
        // README: with full coverage one shard down blocks every other shard too
        "--cluster-require-full-coverage", "no", "--enable-debug-command", "local",
      ], { stdio: "ignore" });
      servers.push({ port, url: `redis://127.0.0.1:${port}`, child });
    }
    await waitUntil(async () => (await Promise.all(servers.map((s) => cli(s.port, "PING").catch(() => "")))).every((r) => r === "PONG"), "every node to answer PING");
    await run("redis-cli", ["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "1", "--cluster-yes"], { timeout: 30_000 });
    await waitUntil(async () => (await Promise.all(servers.map((s) => cli(s.port, "CLUSTER", "INFO").catch(() => ""))))
      .every((info) => info.includes("cluster_state:ok")), "cluster_state:ok on every node");
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Redis Cluster: timed out after ${READY_TIMEOUT_MS} ms waiting for ${what}`);
}
