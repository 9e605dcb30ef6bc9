/**
 * A real, throw-away `redis-server` for tests: loopback only, a free port, no persistence,
 * its own temp dir. With env `REDIS_URL` set, that server is used instead (except by fault
 * tests, which ask for their own) and `kill`/`restart` throw on it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** false when REDIS_URL points at a server these tests did not start */
  readonly canKill: boolean;
  /** SIGKILL (a crash: no shutdown, clients see the socket die). Resolves once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port, resolving when it answers PING. */
  restart(): Promise<void>;
  /** Kills it (if running) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 5_000;
const EXIT_TIMEOUT_MS = 5_000;

/**
 * Starts a redis-server (or adopts REDIS_URL); rejects with a clear error when it cannot.
 * `own: true` always starts one, for tests that SIGKILL and restart it.
 */
export async function startRedisServer(options: { own?: boolean } = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external && !options.own) return externalServer(external);
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-redis-"));
  const server = new LocalRedisServer(port, dir);
  try {
    await server.restart();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** A TCP port on 127.0.0.1 nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not get a free port");
  return address.port;
}

class LocalRedisServer implements RedisServer {
  readonly canKill = true;
  readonly url: string;
  #child: ChildProcess | undefined;
  #output = "";
  readonly #killOnExit = (): void => {
    this.#child?.kill("SIGKILL");
  };

  constructor(readonly port: number, private readonly dir: string) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async restart(): Promise<void> {
    if (this.#child) throw new Error("redis-server is already running");
    const child = spawn("redis-server", [
      "--port", String(this.port),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--dir", this.dir,
      // lets tests stall the server with DEBUG SLEEP (loopback clients only)
      "--enable-debug-command", "local",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.#output = "";
    child.stdout?.on("data", (chunk: Buffer) => this.#collect(chunk));
    child.stderr?.on("data", (chunk: Buffer) => this.#collect(chunk));
    // a crashed test run must not leave a redis-server behind
    process.once("exit", this.#killOnExit);
    const exited = new Promise<never>((_, reject) => {
      child.once("error", (error: NodeJS.ErrnoException) => {
        reject(new Error(error.code === "ENOENT"
          ? "redis-server is not on PATH: install it (apt-get install redis-server) or set REDIS_URL"
          : `could not start redis-server: ${error.message}`));
      });
      child.once("exit", (code, signal) => {
        reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${this.#output}`));
      });
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPong(this.port, READY_TIMEOUT_MS), exited]);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    process.removeListener("exit", this.#killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("redis-server did not exit after SIGKILL")), EXIT_TIMEOUT_MS);
    });
    try {
      await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #collect(chunk: Buffer): void {
    // keep the tail only: enough to explain a failed start
    this.#output = (this.#output + chunk.toString("utf8")).slice(-4_000);
  }
}

function externalServer(url: string): RedisServer {
  const unavailable = (what: string) => async (): Promise<never> => {
    throw new Error(`${what}() needs a redis-server started by the tests, but REDIS_URL is set (${url})`);
  };
  return {
    url,
    port: Number(new URL(url).port || 6379),
    canKill: false,
    kill: unavailable("kill"),
    restart: unavailable("restart"),
    stop: async () => undefined,
  };
}

/** Resolves when the server answers PING; polls every 50 ms, bounded by `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      if (await ping(port)) return;
      last = "unexpected reply to PING";
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} not ready within ${timeoutMs} ms (${last})`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let reply = "";
    socket.setTimeout(500, () => socket.destroy(new Error("PING timed out")));
    socket.once("error", reject);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) {
        socket.end();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.once("close", () => resolve(false));
  });
}
