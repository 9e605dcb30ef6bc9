/**
 * Debian's nginx or haproxy in front of test nodes, configured from the recipes in
 * example/deploy/ with only the listen port, the server list and (nginx) its file paths
 * replaced, each rewrite checked so recipe and test cannot drift apart. Runs in the
 * foreground as a child process in its own temp dir and is killed by pid. Without the
 * binary the suite is skipped locally (pending, with a warning) and fails in CI, as the
 * browser suites do (test/support/browser.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./redis-server.js";

export type BalancerKind = "nginx" | "haproxy";

const recipes: Record<BalancerKind, string> = {
  nginx: fileURLToPath(new URL("../../../example/deploy/nginx.conf", import.meta.url)),
  haproxy: fileURLToPath(new URL("../../../example/deploy/haproxy.cfg", import.meta.url)),
};
const binaries: Record<BalancerKind, string[]> = {
  nginx: ["/usr/sbin/nginx", "/usr/bin/nginx"],
  haproxy: ["/usr/sbin/haproxy", "/usr/bin/haproxy"],
};

/** For a mocha `before` hook: the binary's path, or `this.skip()` outside CI when there is none. */
export function balancerOrSkip(ctx: Mocha.Context, kind: BalancerKind): string {
  const found = binaries[kind].find((candidate) => existsSync(candidate));
  if (found) return found;
  const hint = `Install it (Debian/Ubuntu: \`sudo apt-get install ${kind}\`; .ci/run does).`;
  if (process.env.CI) throw new Error(`no ${kind} found (${binaries[kind].join(", ")}); CI must install it. ${hint}`);
  console.warn(`\n  !!! SKIPPING the ${kind} suite: no ${kind} found.\n  !!! These tests did NOT run. ${hint}\n`);
  ctx.skip();
}

function rewrite(text: string, pattern: RegExp, replacement: string | ((...groups: string[]) => string), what: string): string {
  if (!pattern.test(text)) throw new Error(`the ${what} is no longer in the recipe: update test/support/balancer.ts`);
  return text.replace(pattern, replacement as string);
}

function nginxConfig(recipe: string, port: number, upstreams: string[], dir: string): string {
  let conf = rewrite(recipe, /^worker_processes auto;$/m, "worker_processes 1;", "worker_processes line");
  conf = rewrite(conf, /^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`, "listen line");
  conf = rewrite(conf, /^(\s*)server 127\.0\.0\.1:\d+;\n(?:\s*server 127\.0\.0\.1:\d+;\n)*/m,
    (_all, indent) => upstreams.map((address) => `${indent}server ${address};\n`).join(""), "upstream server list");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join("\n");
  conf = rewrite(conf, /^http \{$/m, `http {\n  access_log off;\n${temp}`, "http block");
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n${conf}`;
}

function haproxyConfig(recipe: string, port: number, upstreams: string[]): string {
  let conf = rewrite(recipe, /^(\s*)bind :80$/m, `$1bind 127.0.0.1:${port}`, "bind line");
  conf = rewrite(conf, /^(\s*)server (\S+) 127\.0\.0\.1:\d+ (.*)\n(?:\s*server \S+ 127\.0\.0\.1:\d+ .*\n)*/m,
    (_all, indent, _name, rest) => upstreams.map((address, i) => `${indent}server app${i + 1} ${address} ${rest.replace(/cookie \S+/, `cookie app${i + 1}`)}\n`).join(""),
    "backend server list");
  return conf;
}

export interface Balancer {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `kind` on a free 127.0.0.1 port in front of `upstreams` ("127.0.0.1:port"); resolves once it accepts connections. */
export async function startBalancer(kind: BalancerKind, binary: string, upstreams: string[]): Promise<Balancer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `actionhero-ws-${kind}-`));
  const port = await freePort();
  const recipe = readFileSync(recipes[kind], "utf8");
  const file = path.join(dir, kind === "nginx" ? "nginx.conf" : "haproxy.cfg");
  writeFileSync(file, kind === "nginx" ? nginxConfig(recipe, port, upstreams, dir) : haproxyConfig(recipe, port, upstreams));
  const args = kind === "nginx" ? ["-g", "daemon off;", "-p", dir, "-c", file] : ["-db", "-f", file];
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8_000));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    process.removeListener("exit", killOnExit);
    // SIGTERM first: nginx's master then stops its worker, which SIGKILL would orphan (holding our pipes)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 5_000)));
    if ((await Promise.race([exited, late])) === "late") {
      child.kill("SIGKILL");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    }
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${kind} exited before it listened:\n${output}`);
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} not listening within 10 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}`, output: () => output, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(500, () => socket.destroy());
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}
