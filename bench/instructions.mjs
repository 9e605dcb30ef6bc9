#!/usr/bin/env node
// Instruction counts per operation: deterministic where CPU time on this shared VM is not.
// Each server runs under `valgrind --tool=callgrind` with instrumentation off; the load
// generator warms it up, runs the same job once instrumented (callgrind_control), then once
// more with the counters zeroed at its start and stopped at its end; the instructions
// counted in that window are divided by the round trips or deliveries the load generator saw.
// One operation at a time, so the figure does not depend on timing (see `jobs`). User-space instructions only: the kernel's share of
// a socket write (a third or so of the CPU per op, about the same for every server) is not
// in these figures.
//
//   node bench/instructions.mjs [--only=reqres:ours,fanout:socketio] [--ops=N]
//
// Needs Debian's valgrind (valgrind, callgrind_control). Servers and load generator as in
// run.mjs; sizes are small because the server runs ~50x slower under valgrind.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k, v ?? true];
}));
const { startNode, ask, stop, freePort } = await import("./lib/procs.mjs");

for (const tool of ["valgrind", "callgrind_control"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    console.error(`${tool} is missing: apt-get install valgrind`);
    process.exit(1);
  }
}
if (!existsSync(path.join(benchDir, "node_modules"))) {
  console.error("the bench's peers are missing: run `npm --prefix bench ci` (or `node bench/run.mjs --smoke` once)");
  process.exit(1);
}

const servers = {
  ours: { script: "ours.mjs", dialect: "primus-sio", label: "actionhero-ws" },
  socketio: { script: "socketio.mjs", dialect: "sio", label: "socket.io 4.8" },
  ws: { script: "ws.mjs", dialect: "ws", label: "bare ws" },
};
const ops = Number(args.get("ops") ?? 10_000);
const jobs = {
  // Counted, not timed, and one operation at a time (one client; one message in flight): how
  // many operations share a socket write or an event loop turn depends on timing, and so
  // does the count per operation. Alone, each costs the same whatever the machine's load.
  // (Time caps only bound a stuck run.)
  reqres: { workload: "reqres", clients: 1, durationMs: 300_000, sliceMs: 300_000, sliceOps: ops, warmupMs: 300_000, warmupOps: ops, slices: 1 },
  fanout: { workload: "fanout", clients: 100, messages: Math.ceil((2 * ops) / 100), warmup: 50, window: 1, pad: 64, room: "bench", slices: 1, timeoutMs: 120_000 },
};
const only = typeof args.get("only") === "string" ? String(args.get("only")).split(",") : undefined;
const cases = Object.keys(jobs).flatMap((workload) => Object.keys(servers).map((server) => `${workload}:${server}`))
  .filter((key) => !only || only.includes(key));

/** A server under callgrind with instrumentation off; resolves once it listens (IPC `ready`). */
async function startUnderCallgrind(script, outFile) {
  const port = await freePort();
  const child = spawn("valgrind", [
    "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${outFile}`,
    process.execPath, "--expose-gc", path.join(benchDir, "servers", script),
  ], { stdio: ["ignore", "ignore", "pipe", "ipc"], env: { ...process.env, PORT: String(port) } });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} under valgrind not ready in 120 s\n${stderr}`)), 120_000);
    child.once("exit", (code) => reject(new Error(`${script} under valgrind exited (${code})\n${stderr}`)));
    child.on("message", (message) => {
      if (message?.type !== "ready") return;
      clearTimeout(timer);
      resolve();
    });
  });
  return { child, port };
}

/** The `totals:` Ir of a callgrind output file (its `summary:` line stays 0 with instrumentation toggled). */
function instructionsIn(file) {
  const text = readFileSync(file, "utf8");
  const match = /^totals:\s+(\d+)/m.exec(text);
  if (!match) throw new Error(`no totals in ${file}`);
  return Number(match[1]);
}

const results = [];
for (const key of cases) {
  const [workload, name] = key.split(":");
  const server = servers[name];
  const dir = mkdtempSync(path.join(os.tmpdir(), "ahws-callgrind-"));
  const outFile = path.join(dir, "callgrind.out");
  let target;
  let loadgen;
  try {
    target = await startUnderCallgrind(server.script, outFile);
    loadgen = await startNode(path.join(benchDir, "loadgen", "index.mjs"), {});
    // Two jobs on the same server: the first runs instrumented (valgrind translates every
    // code path anew when instrumentation comes on, a cost that must not land on the
    // measured ops), the second is measured: its `start` mark zeroes the counters, its
    // `end` mark stops counting.
    let phase = "warm";
    const control = (flag) => execFileSync("callgrind_control", [flag, String(target.child.pid)], { stdio: "ignore" });
    loadgen.on("message", (message) => {
      if (message?.type !== "mark") return;
      if (phase === "warm" && message.name === "start") control("--instr=on");
      if (phase === "measured" && message.name === "start") control("--zero");
      if (phase === "measured" && message.name === "end") control("--instr=off");
      loadgen.send({ type: "ack", name: message.name });
    });
    const job = { ...jobs[workload], sides: [{ dialect: server.dialect, transport: "websocket", urls: [`http://127.0.0.1:${target.port}`] }] };
    const warm = await ask(loadgen, { type: "job", job }, "result", 600_000);
    if (warm.result.error) throw new Error(warm.result.error);
    phase = "measured";
    const reply = await ask(loadgen, { type: "job", job }, "result", 600_000);
    if (reply.result.error) throw new Error(reply.result.error);
    const side = reply.result.sides[0];
    const count = workload === "fanout" ? side.deliveries : side.ops;
    await stop(target.child, 60_000);
    const instructions = instructionsIn(outFile);
    results.push({ key, label: server.label, workload, count, perOp: instructions / count });
    console.log(`${key.padEnd(18)} ${(instructions / count / 1000).toFixed(1)}k instructions per ${workload === "fanout" ? "delivery" : "round trip"} (${count} measured)`);
  } catch (error) {
    console.log(`${key.padEnd(18)} FAILED: ${error?.message ?? error}`);
    process.exitCode = 1;
  } finally {
    await stop(loadgen);
    if (target) await stop(target.child, 60_000);
    if (!process.env.KEEP_CALLGRIND) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

for (const workload of Object.keys(jobs)) {
  const ref = results.find((r) => r.key === `${workload}:socketio`);
  for (const r of results.filter((x) => x.workload === workload && x !== ref && ref)) {
    console.log(`${workload}: ${r.label} / socket.io = ${(r.perOp / ref.perOp).toFixed(2)}x`);
  }
}
