/**
 * Starts test/support/runner-app.ts (a runCluster() primary and its workers) as a child
 * process and reads its JSON lines. Every wait is bounded; kill() leaves no process behind
 * (the workers exit when their primary's IPC channel closes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startRedisServer, type RedisServer } from "./redis-server.js";

const ENTRY = fileURLToPath(new URL("./runner-app.js", import.meta.url));

export type RunnerLine = Record<string, unknown>;

export class RunnerProcess {
  readonly lines: RunnerLine[] = [];
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolve({ code, signal });
    }));
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        this.output = (this.output + line + "\n").slice(-8_000);
        try {
          this.lines.push(JSON.parse(line) as RunnerLine);
        } catch {
          // a worker's own console output: kept in `output` only
        }
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-8_000);
    });
  }

  static start(env: Record<string, string>): RunnerProcess {
    const child = spawn(process.execPath, [ENTRY], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    return new RunnerProcess(child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line (from index `from`) that passes `test`, waiting up to `ms`. */
  async line(test: (line: RunnerLine) => boolean, ms: number, what: string, from = 0): Promise<RunnerLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline || !this.running) {
        throw new Error(`runner: no ${what} within ${ms} ms${this.running ? "" : " (it exited)"}\n--- output ---\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves with the exit, or rejects after `ms`. */
  async exit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`runner did not exit within ${ms} ms\n${this.output}`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exit(5_000).catch(() => undefined);
  }
}

/** A runner on a Redis and a public dir of its own, listening; stop() ends all three. */
export interface StartedRunner {
  runner: RunnerProcess;
  redis: RedisServer;
  port: number;
  stop(): Promise<void>;
}

export async function startRunnerWithRedis(env: Record<string, string>, name: string, listenMs = 90_000): Promise<StartedRunner> {
  const redis = await startRedisServer();
  const publicDir = mkdtempSync(path.join(os.tmpdir(), `actionhero-ws-${name}-`));
  const runner = RunnerProcess.start({ RUNNER_REDIS: redis.url, RUNNER_PUBLIC: publicDir, ...env });
  const stop = async () => {
    await runner.kill();
    await redis.stop();
    rmSync(publicDir, { recursive: true, force: true });
  };
  try {
    const listening = await runner.line((l) => l.event === "listening", listenMs, "listening line");
    return { runner, redis, port: Number(listening.port), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
