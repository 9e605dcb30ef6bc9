// Child processes for the bench: pinned servers, the load generator, a private redis-server,
// and what /proc says about them (CPU ticks, RSS).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Clock ticks per second for /proc/<pid>/stat (almost always 100). */
export const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return os.availableParallelism() >= 2;
  } catch {
    return false;
  }
})();

/** utime+stime of a process in microseconds (all its threads), from /proc/<pid>/stat. */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // the command name is in parentheses and may hold spaces: split after the last ')'
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / clockTicks;
}

/** utime and stime of a process in microseconds, apart (user code vs the kernel: syscalls, TCP). */
export function cpuSplitMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: (Number(fields[11]) * 1e6) / clockTicks, system: (Number(fields[12]) * 1e6) / clockTicks };
}

/** CPU time of the whole machine (all cores, busy states only) in microseconds, from /proc/stat. */
export function machineBusyMicros() {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + (steal || 0)) * 1e6) / clockTicks;
}

/** Resident set size in KiB, from /proc/<pid>/status. */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : NaN;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", resolve);
  });
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts `node script` pinned to `core` (taskset when available) with an IPC channel.
 * Resolves with the child once it sent `{type: "ready"}` (bounded by timeoutMs).
 */
export function startNode(script, { core, args = [], env = {}, nodeArgs = [], timeoutMs = 30_000, cwd } = {}) {
  const command = hasTaskset && core !== undefined ? "taskset" : process.execPath;
  const argv = [...nodeArgs, script, ...args];
  const full = command === "taskset" ? ["-c", String(core), process.execPath, ...argv] : argv;
  const child = spawn(command, full, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
    cwd,
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(script)} did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(script)} exited (${signal ?? code}) before it was ready`));
    });
    child.on("message", function onReady(message) {
      if (message?.type !== "ready") return;
      child.off("message", onReady);
      clearTimeout(timer);
      child.info = message;
      resolve(child);
    });
  });
}

/** Sends `message` and resolves with the first reply of type `replyType` (bounded). */
export function ask(child, message, replyType, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(new Error(`no ${replyType} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(reply) {
      if (reply?.type !== replyType) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(reply);
    }
    child.on("message", onMessage);
    child.send(message);
  });
}

/** Ends a child and waits for it to be gone (SIGKILL after graceMs). */
export async function stop(child, graceMs = 2000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}

/** A private redis-server on a free 127.0.0.1 port (binary from PATH), pinned to `core`. */
export async function startRedis(core) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "ahws-bench-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const useTaskset = hasTaskset && core !== undefined;
  const child = spawn(useTaskset ? "taskset" : "redis-server", useTaskset ? ["-c", String(core), "redis-server", ...args] : args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const failed = new Promise((_, reject) => {
    child.once("error", (error) => reject(new Error(`could not start redis-server (is it on PATH?): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) at start`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await Promise.race([redisCommand(port, ["PING"]).then((r) => r === "+PONG", () => false), failed])) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("redis-server did not answer PING within 10 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    flush: () => redisCommand(port, ["FLUSHALL"]),
    async stop() {
      await stop(child, 1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One RESP command over a fresh socket; resolves with the first reply line. */
export function redisCommand(port, words) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let reply = "";
    socket.setTimeout(2000, () => socket.destroy(new Error("redis command timed out")));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(`*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`);
    });
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const end = reply.indexOf("\r\n");
      if (end >= 0) {
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
  });
}
