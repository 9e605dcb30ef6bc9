// The load generator: its own process (pinned to the other core), 127.0.0.1 targets only.
// It gets one job over IPC, asks the orchestrator to take readings at the edges of the
// measured window (`mark` -> `ack`), and reports its result. Every loop is bounded in
// count and in time.
import { performance } from "node:perf_hooks";
import { LiteClient, pollingRequestCount } from "./dialects.mjs";
import { RealClient, realDialects } from "./real-clients.mjs";
import { withTimeout, sleep } from "../lib/timing.mjs";

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
    send({ type: "mark", name, requests: pollingRequestCount(), ...extra });
  });
}


/** Opens `count` clients of one side, `batch` at a time, spread over its `urls` (client k -> urls[k % n]). */
async function connectAll(side, count, batch = 50) {
  const clients = [];
  for (let start = 0; start < count; start += batch) {
    const group = [];
    for (let k = start; k < Math.min(count, start + batch); k++) {
      const Client = realDialects[side.dialect] ? RealClient : LiteClient;
      group.push(new Client(side.dialect, side.urls[k % side.urls.length], side.transport));
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
  if (job.workload === "fanout" || job.workload === "fanmany") return fanout(job);
  if (job.workload === "reqres") return reqres(job);
  if (job.workload === "connections") return connections(job);
  throw new Error(`unknown workload ${job.workload}`);
}

/**
 * The measured part of a job, in `job.slices` slices per side. With two sides (a paired
 * phase: ours and a peer, both servers up) the slices alternate A B B A A B …, so both are
 * measured under the same machine conditions; the orchestrator reads each side's server
 * CPU at the edges of each of its slices (`mark` with the side's index).
 */
async function sliced(job, sides, runSlice) {
  for (let i = 0; i < job.slices; i++) {
    const order = sides.map((_, k) => k);
    if (i % 2 === 1) order.reverse();
    for (const k of order) {
      await mark("start", { side: k });
      await runSlice(sides[k], k);
      await mark("end", { side: k });
    }
  }
}

/**
 * Fan-out: per side, `clients` members of one room (the sender is one of them), one sender,
 * a bounded window of messages in flight; a message is done when every member has it.
 */
async function fanout(job) {
  const { clients: n, messages, warmup, window, room } = job;
  const perSlice = Math.ceil(messages / job.slices);
  const pad = "x".repeat(job.pad);
  const sides = [];
  for (const side of job.sides) {
    const clients = await connectAll(side, n);
    await everyoneOnce(clients, (id) => clients[0].d.join(room, id));
    sides.push(fanoutSide(clients, n, warmup + perSlice * job.slices, window, room, pad, job.senders ?? 1));
  }
  for (const side of sides) await withTimeout(side.stage(warmup, false), job.timeoutMs, "warm-up");
  await sliced(job, sides, async (side) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      await withTimeout(side.stage(side.sent + perSlice, true), job.timeoutMs, "measured messages");
    } catch {
      side.incomplete = true;
    }
    side.elapsedMs += performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    side.cpuMs += (cpu.user + cpu.system) / 1000;
  });
  return {
    sides: sides.map((side) => {
      side.close();
      return {
        deliveries: side.recorded,
        expected: perSlice * job.slices * n,
        incomplete: side.incomplete,
        elapsedMs: side.elapsedMs,
        perSecond: (side.recorded / side.elapsedMs) * 1000,
        latencyMs: summary(side.latencies, side.recorded),
        loadgenCpu: side.cpuMs / side.elapsedMs,
      };
    }),
  };
}

/** One room's sender and members; `stage(end)` sends up to message `end` and resolves when all have it. */
/** `senders` members take turns sending (message k from member k % senders): one sender with a window, or many independent ones. */
function fanoutSide(clients, n, total, window, room, pad, senders) {
  const got = new Uint32Array(total);
  const side = {
    sent: 0,
    done: 0,
    recorded: 0,
    elapsedMs: 0,
    cpuMs: 0,
    incomplete: false,
    latencies: new Float64Array(n * total),
    counting: false,
    stageEnd: 0,
    stageDone: () => undefined,
    stage(end, counting) {
      return new Promise((resolve) => {
        side.stageEnd = Math.min(end, total);
        side.counting = counting;
        side.stageDone = resolve;
        pump();
      });
    },
    close() {
      for (const client of clients) client.close();
    },
  };
  const pump = () => {
    while (side.sent < side.stageEnd && side.sent - side.done < window) {
      const sender = clients[side.sent % senders];
      sender.send(sender.d.say(room, `B${side.sent}:${performance.now().toFixed(3)}:${pad}`));
      side.sent++;
    }
  };
  const onBroadcast = (index, sentAt) => {
    if (index >= total) return;
    if (side.counting) side.latencies[side.recorded++] = performance.now() - sentAt;
    if (++got[index] === n) {
      side.done++;
      if (side.done === side.stageEnd) side.stageDone();
      else pump();
    }
  };
  for (const client of clients) client.onBroadcast = onBroadcast;
  return side;
}

/** Request/response: per side, `clients` clients each doing sequential action round trips. */
async function reqres(job) {
  const sides = [];
  for (const side of job.sides) sides.push(reqresSide(await connectAll(side, job.clients)));
  for (const side of sides) await side.loop(job.warmupMs, false, job.warmupOps);
  await sliced(job, sides, (side) => side.loop(job.sliceMs, true, job.sliceOps));
  return {
    sides: sides.map((side) => {
      side.close();
      return {
        ops: side.recorded,
        elapsedMs: side.elapsedMs,
        perSecond: (side.recorded / side.elapsedMs) * 1000,
        latencyMs: summary(side.latencies, side.recorded),
        loadgenCpu: side.cpuMs / side.elapsedMs,
      };
    }),
  };
}

/**
 * The clients of one side. `loop(ms)` keeps every client's round trips going for `ms`, then
 * stops issuing and waits for the replies still in flight, so a slice ends with the server idle.
 */
function reqresSide(clients) {
  let nextId = 1;
  let running = false;
  let counting = false;
  let inFlight = 0;
  let drained = () => undefined;
  // Optional cap on round trips per loop (instructions.mjs counts a fixed number, not a time).
  let completed = 0;
  let maxOps = Infinity;
  let capped = () => undefined;
  const side = {
    recorded: 0,
    elapsedMs: 0,
    cpuMs: 0,
    latencies: new Float64Array(2_000_000),
    async loop(ms, count, cap = Infinity) {
      counting = count;
      running = true;
      completed = 0;
      maxOps = cap;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const reachedCap = new Promise((resolve) => (capped = resolve));
      for (const client of clients) issue(client);
      await Promise.race([sleep(ms), reachedCap]);
      running = false;
      if (inFlight > 0) await withTimeout(new Promise((resolve) => (drained = resolve)), 10_000, "draining").catch(() => undefined);
      if (count) {
        side.elapsedMs += performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        side.cpuMs += (cpu.user + cpu.system) / 1000;
      }
    },
    close() {
      for (const client of clients) client.close();
    },
  };
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
      if (++completed >= maxOps && running) {
        running = false;
        capped();
      }
      if (counting && side.recorded < side.latencies.length) side.latencies[side.recorded++] = performance.now() - client.pending.at;
      client.pending = null;
      if (running) issue(client);
      else if (inFlight === 0) drained();
    };
  }
  return side;
}

/** Opens `clients` idle connections, `batch` at a time; the orchestrator reads RSS around it. */
async function connections(job) {
  // Warm-up: a few connections first, so lazily loaded code and one-time caches are not
  // counted as per-connection memory.
  const side = job.sides[0];
  const warm = await connectAll(side, Math.min(20, job.clients));
  for (const client of warm) client.close();
  await sleep(500);
  await mark("before");
  const t0 = performance.now();
  const clients = await connectAll(side, job.clients, job.batch);
  const elapsedMs = performance.now() - t0;
  await mark("connected");
  for (const client of clients) client.close();
  return { sides: [{ connections: clients.length, elapsedMs, perSecond: (clients.length / elapsedMs) * 1000 }] };
}
