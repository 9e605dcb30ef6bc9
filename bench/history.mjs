// Room history (README, "History and recovery") at the bus level, on a private redis-server:
//   say throughput and Redis CPU per say with history off and on (the script that assigns the
//   offset, appends to the stream and publishes vs a plain PUBLISH), and a recovery burst
//   (200 re-joining clients at once, each missing 100 messages: 200 concurrent `since` reads).
// No sockets: what it isolates is the cost of the history on the say path and in Redis.
//   node bench/history.mjs [--smoke] [--base=DIST]
import path from "node:path";
import { pathToFileURL } from "node:url";
import { cpuMicros, startRedis } from "./lib/procs.mjs";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? true]));
const smoke = args.has("smoke");
const base = path.resolve(String(args.get("base") ?? "dist"));
const { RedisMessageBus } = await import(pathToFileURL(path.join(base, "lib/stores/redis-message-bus.js")).href);

const SAYS = smoke ? 2_000 : 50_000;
const WINDOW = 64;
const BURST_CLIENTS = smoke ? 20 : 200;
const MISSED = 100;
// The bounds users get (lib/options.ts).
const { defaults } = await import(pathToFileURL(path.join(base, "lib/options.js")).href);
const history = { size: defaults.historySize, ttlMs: defaults.historyTtlMs, metaTtlMs: defaults.historyMetaTtlMs };

const redis = await startRedis();
const chat = (n) => ({ messageType: "chat", serverToken: "t", serverId: "bench", message: `message ${n}`, sentAt: Date.now(), connection: { id: "c", room: "bench" } });

async function busWith(historyOption, prefix) {
  const bus = new RedisMessageBus({ redis: redis.url, channel: `bench-${prefix}`, mode: "per-room", nodeId: prefix, startTimeoutMs: 10_000, commandTimeoutMs: 5_000, chatDeliveryWindowMs: 4_500, history: historyOption, prefix: `${prefix}:` });
  await bus.start();
  await bus.subscribeRoom("bench");
  let received = 0;
  bus.onMessage(() => received++);
  return { bus, received: () => received };
}

async function sayPhase(name, historyOption) {
  const { bus, received } = await busWith(historyOption, name);
  const cpu0 = cpuMicros(redis.pid);
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (next < SAYS) await bus.publish(chat(next++));
  }));
  const deadline = Date.now() + 30_000;
  while (received() < SAYS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const redisCpu = cpuMicros(redis.pid) - cpu0;
  await bus.close();
  return { phase: `say, history ${name}`, says: SAYS, delivered: received(), perSecond: Math.round(SAYS / seconds), redisCpuMicrosPerSay: +(redisCpu / SAYS).toFixed(2) };
}

async function burstPhase() {
  const { bus } = await busWith(history, "burst");
  for (let n = 0; n < MISSED + 10; n++) await bus.publish(chat(n));
  const last = await bus.readHistory("bench", { limit: 1 });
  const since = { offset: last.offset - MISSED, epoch: last.epoch };
  const cpu0 = cpuMicros(redis.pid);
  const t0 = process.hrtime.bigint();
  const reads = await Promise.all(Array.from({ length: BURST_CLIENTS }, () => bus.readHistory("bench", { since, limit: history.size })));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const redisCpu = cpuMicros(redis.pid) - cpu0;
  await bus.close();
  const complete = reads.every((r) => r.covered && r.messages.length === MISSED);
  return { phase: "recovery burst", clients: BURST_CLIENTS, missedEach: MISSED, allRecovered: complete, totalMs: Math.round(ms), redisCpuMicrosPerClient: Math.round(redisCpu / BURST_CLIENTS) };
}

try {
  const results = [await sayPhase("off", false), await sayPhase("on", history), await burstPhase()];
  for (const result of results) console.log(JSON.stringify(result));
} finally {
  await redis.stop();
}
