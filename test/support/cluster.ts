/**
 * Starts cluster nodes (test/support/cluster-node.ts) as child processes and talks to
 * their debug routes. Every wait is bounded; `stopAll()` leaves no child behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Stats } from "../../lib/stats/stats.js";

const ENTRY = fileURLToPath(new URL("./cluster-node.js", import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 8_000;

export interface ClusterNodeOptions {
  redis: string;
  prefix: string;
  id: string;
  heartbeatMs?: number;
  nodeTtlMs?: number;
  rpcTimeoutMs?: number;
  channelMode?: "per-room" | "single";
  roomLingerMs?: number;
  subscriptionCheckMs?: number;
  /** Write and serve the generated client from this folder. */
  publicDir?: string;
}

export interface DebugState {
  id: string;
  connections: Array<{ id: string; rooms: string[] }>;
  announced: Array<{ id: string; room: string; local: boolean }>;
  stats: Stats;
  unknownSessions: number;
}

export class ClusterNode {
  output = "";
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess, readonly id: string, public url = "") {
    // a test run that dies must not leave nodes behind
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    this.#exit = new Promise((resolve) => child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolve({ code, signal });
    }));
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-8_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns a node; resolves once it printed its URL (rejects with its output otherwise). */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      CLUSTER_REDIS: options.redis,
      CLUSTER_PREFIX: options.prefix,
      CLUSTER_NODE_ID: options.id,
      CLUSTER_HEARTBEAT_MS: options.heartbeatMs?.toString() ?? "",
      CLUSTER_NODE_TTL_MS: options.nodeTtlMs?.toString() ?? "",
      CLUSTER_RPC_TIMEOUT_MS: options.rpcTimeoutMs?.toString() ?? "",
      CLUSTER_CHANNEL_MODE: options.channelMode ?? "",
      CLUSTER_LINGER_MS: options.roomLingerMs?.toString() ?? "",
      CLUSTER_CHECK_MS: options.subscriptionCheckMs?.toString() ?? "",
      CLUSTER_PUBLIC_DIR: options.publicDir ?? "",
    };
    const child = spawn(process.execPath, [ENTRY], { env, stdio: ["ignore", "pipe", "pipe"] });
    const node = new ClusterNode(child, options.id);
    let timer: NodeJS.Timeout | undefined;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`node ${options.id} not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        let buffer = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          buffer += chunk.toString("utf8");
          const newline = buffer.indexOf("\n");
          if (newline >= 0) resolve(buffer.slice(0, newline));
        });
        child.once("error", reject);
        child.once("exit", (code, signal) => reject(new Error(`node ${options.id} exited (${signal ?? code}) before it was ready`)));
      });
      const ready = JSON.parse(line) as { url?: string; id?: string; error?: string };
      if (ready.error || !ready.url) throw new Error(`node ${options.id} failed to start: ${ready.error ?? line}`);
      if (ready.id !== options.id) throw new Error(`node ${options.id} reports id ${String(ready.id)}`);
      node.url = ready.url;
      return node;
    } catch (error) {
      await node.kill();
      throw new Error(`${(error as Error).message}\n--- output ---\n${node.output}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** POST /debug/<method>; resolves with `{ok, result | error}`. */
  async debug(method: string, body: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    const response = await fetch(`${this.url}/debug/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as { ok: boolean; result?: unknown; error?: string };
  }

  async state(): Promise<DebugState> {
    const response = await fetch(`${this.url}/debug/state`, { signal: AbortSignal.timeout(5_000) });
    return (await response.json()) as DebugState;
  }

  /** SIGTERM and wait for the exit; resolves with the exit code (null: killed by a signal). */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill("SIGTERM");
    return this.#waitExit("SIGTERM");
  }

  /** SIGKILL (a crash) and wait for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.#waitExit("SIGKILL");
  }

  async #waitExit(what: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.#exit,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`node ${this.id} did not exit within ${EXIT_TIMEOUT_MS} ms of ${what}\n${this.output}`)), EXIT_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kills (SIGKILL) every node still running; never throws. */
export async function killAll(nodes: Iterable<ClusterNode | undefined>): Promise<void> {
  await Promise.all([...nodes].map((node) => node?.kill().catch(() => undefined)));
}
