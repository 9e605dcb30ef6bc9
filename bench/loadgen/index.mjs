// The load generator: its own process (pinned to the other core), 127.0.0.1 targets only.
// It gets one job over IPC, asks the orchestrator to take readings at the edges of the
// measured window (`mark` -> `ack`), and reports its result. Every loop is bounded in
// count and in time.
import { performance } from "node:perf_hooks";
import { LiteClient } from "./dialects.mjs";

const send = (message) => process.send(message);
let acks = new Map();
process.on("message", (message) => {
  if (message?.type === "ack") acks.get(message.name)?.(message);
  if (message?.type === "job") run(message.job).then(
    (result) => send({ type: "result", result }),
    (error) => send({ type: "result", result: { error: String(error?.stack ?? error) } }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });

/** Tells the orchestrator we are at `name` and waits until it has taken its readings. */
function mark(name, extra = {}) {
  return new Promise((resolve) => {
    acks.set(name, resolve);
    send({ type: "mark", name, ...extra });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

/** Opens `count` clients, `batch` at a time, spread over `urls` (client k -> urls[k % n]). */
async function connectAll(job, count, batch = 50) {
  const clients = [];
  for (let start = 0; start < count; start += batch) {
    const group = [];
    for (let k = start; k < Math.min(count, start + batch); k++) {
      group.push(new LiteClient(job.dialect, job.urls[k % job.urls.length], job.transport));
    }
    await withTimeout(Promise.all(group.map((c) => c.ready)), 30_000, `connecting clients ${start}..`);
    clients.push(...group);
  }
  return clients;
}

/** Sends one request per client and waits for every reply (joins). */
async function everyoneOnce(clients, build, batch = 50) {
  for (let start = 0; start < clients.length; start += batch) {
    const group = clients.slice(start, start + batch);
    await withTimeout(Promise.all(group.map((client, k) => new Promise((resolve) => {
      const id = 900_000 + start + k;
      client.onReply = (got) => {
        if (got === id) resolve();
      };
      client.send(build(id));
    }))), 30_000, "joining the room");
  }
  for (const client of clients) client.onReply = null;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(latencies, count) {
  const sorted = latencies.subarray(0, count).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function run(job) {
  if (job.workload === "fanout") return fanout(job);
  if (job.workload === "reqres") return reqres(job);
  if (job.workload === "connections") return connections(job);
  throw new Error(`unknown workload ${job.workload}`);
}

/** One sender, `clients` members of one room (the sender is one of them), a bounded window. */
async function fanout(job) {
  const { clients: n, messages, warmup, window, room } = job;
  const clients = await connectAll(job, n);
  await everyoneOnce(clients, (id) => clients[0].d.join(room, id));
  const total = warmup + messages;
  const got = new Uint32Array(total);
  const latencies = new Float64Array(n * messages);
  const pad = "x".repeat(job.pad);
  let recorded = 0;
  let sent = 0;
  let done = 0;
  let stageEnd = warmup;
  let stageDone = () => undefined;
  const sender = clients[0];

  const pump = () => {
    while (sent < stageEnd && sent - done < window) {
      sender.send(sender.d.say(room, `B${sent}:${performance.now().toFixed(3)}:${pad}`));
      sent++;
    }
  };
  const onBroadcast = (index, sentAt) => {
    if (index >= total) return;
    if (index >= warmup) latencies[recorded++] = performance.now() - sentAt;
    if (++got[index] === n) {
      done++;
      if (done === stageEnd) stageDone();
      else pump();
    }
  };
  for (const client of clients) client.onBroadcast = onBroadcast;
  const stage = (end) => new Promise((resolve) => {
    stageEnd = end;
    stageDone = resolve;
    pump();
  });

  await withTimeout(stage(warmup), job.timeoutMs, "warm-up");
  await mark("start");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let incomplete = false;
  try {
    await withTimeout(stage(total), job.timeoutMs, "measured messages");
  } catch {
    incomplete = true;
  }
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await mark("end");
  for (const client of clients) client.close();
  return {
    deliveries: recorded,
    expected: messages * n,
    incomplete,
    elapsedMs,
    perSecond: (recorded / elapsedMs) * 1000,
    latencyMs: summary(latencies, recorded),
    loadgenCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
  };
}

/** `clients` clients each doing sequential action round trips for `durationMs`. */
async function reqres(job) {
  const clients = await connectAll(job, job.clients);
  const latencies = new Float64Array(2_000_000);
  let recorded = 0;
  let running = true;
  let counting = false;
  let nextId = 1;
  let inFlight = 0;
  const drained = [];

  const issue = (client) => {
    const id = nextId++;
    client.pending = { id, at: performance.now() };
    inFlight++;
    client.send(client.d.request(id, id));
  };
  for (const client of clients) {
    client.onReply = (id) => {
      if (!client.pending || client.pending.id !== id) return;
      inFlight--;
      if (counting && recorded < latencies.length) latencies[recorded++] = performance.now() - client.pending.at;
      client.pending = null;
      if (running) issue(client);
      else if (inFlight === 0) drained.forEach((f) => f());
    };
    issue(client);
  }
  await sleep(job.warmupMs);
  await mark("start");
  recorded = 0;
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(job.durationMs);
  counting = false;
  const ops = recorded;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await mark("end");
  running = false;
  if (inFlight > 0) await withTimeout(new Promise((resolve) => drained.push(resolve)), 10_000, "draining").catch(() => undefined);
  for (const client of clients) client.close();
  return {
    ops,
    elapsedMs,
    perSecond: (ops / elapsedMs) * 1000,
    latencyMs: summary(latencies, ops),
    loadgenCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
  };
}

/** Opens `clients` idle connections, `batch` at a time; the orchestrator reads RSS around it. */
async function connections(job) {
  // Warm-up: a few connections first, so lazily loaded code and one-time caches are not
  // counted as per-connection memory.
  const warm = await connectAll(job, Math.min(20, job.clients));
  for (const client of warm) client.close();
  await sleep(500);
  await mark("before");
  const t0 = performance.now();
  const clients = await connectAll(job, job.clients, job.batch);
  const elapsedMs = performance.now() - t0;
  await mark("connected");
  for (const client of clients) client.close();
  return { connections: clients.length, elapsedMs, perSecond: (clients.length / elapsedMs) * 1000 };
}
