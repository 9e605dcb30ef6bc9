/**
 * The example chat app (example/server.js) as a child process, the way a user starts it:
 * `PORT=0 node example/server.js`, URL read from its "listening on" line. Its stdout and
 * stderr (with DEBUG=actionhero-ws, so refusals are logged) are kept for assertions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** dist/test/support/ -> the repository root. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const exampleServerPath = fileURLToPath(new URL("../../../example/server.js", import.meta.url));

const running = new Set<ChildProcess>();
// Last resort if a run is interrupted: never leave an example server behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface StartOptions {
  /** 0 (default) picks a free port; a number reuses one (restart tests). */
  port?: number;
  /** Extra environment, e.g. { DESTROY_CLIENTS_ON_SHUTDOWN: "true" }. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export class ExampleServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** http://localhost:<port> (no trailing slash). */
  readonly url: string;
  #log: string[];
  #exited: Promise<number | null>;

  private constructor(child: ChildProcess, port: number, log: string[], exited: Promise<number | null>) {
    this.child = child;
    this.port = port;
    this.url = `http://localhost:${port}`;
    this.#log = log;
    this.#exited = exited;
  }

  static async start(options: StartOptions = {}): Promise<ExampleServer> {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(options.port ?? 0), DEBUG: "actionhero-ws" };
    // The tests want the embedded store and an unsigned cookie unless they say otherwise.
    delete env.REDIS_URL;
    delete env.COOKIE_SECRET;
    delete env.HOST;
    delete env.DESTROY_CLIENTS_ON_SHUTDOWN;
    Object.assign(env, options.env ?? {});

    const child = spawn(process.execPath, [exampleServerPath], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const log: string[] = [];
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        log.push(`[exit] code=${code} signal=${signal}`);
        resolve(code);
      });
    });

    const port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`example server did not print its URL within ${options.timeoutMs ?? 15000} ms:\n${log.join("")}`));
      }, options.timeoutMs ?? 15000);
      child.stdout!.setEncoding("utf8");
      child.stderr!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => {
        log.push(chunk);
        stdout += chunk;
        const match = /listening on http:\/\/[^:/\s]+:(\d+)\//.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.stderr!.on("data", (chunk: string) => log.push(chunk));
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`example server exited (code ${code}) before listening:\n${log.join("")}`));
      });
    });
    return new ExampleServer(child, port, log, exited);
  }

  /** Everything the server printed so far. */
  get log(): string {
    return this.#log.join("");
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal (SIGTERM: the example's graceful shutdown) and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 12000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET <url><path> from Node and parse JSON (e.g. "/api/status"). */
  async getJson(path: string): Promise<Record<string, unknown>> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as Record<string, unknown>;
  }
}
