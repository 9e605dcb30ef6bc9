/**
 * `ws.stats()` (connections by transport, rooms, actions in flight, Redis state, limit
 * counters) and the optional prom-client metrics (`metrics: { registry }`), which read the
 * same counters at scrape time and leave the registry when the server closes.
 */
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { actionheroWs } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { RawIo, waitUntil } from "../support/raw-io.js";

/** One sample line's value, e.g. value(text, 'ahws_frames_total{verb="say"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("stats and metrics", function () {
  this.timeout(20_000);
  let ts: TestServer | undefined;
  const clients: RawIo[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts?.close();
    ts = undefined;
  });

  const open = async (transport: "websocket" | "polling" = "websocket") => {
    const client = await RawIo.open(ts!.url, { transport });
    clients.push(client);
    return client;
  };

  it("stats() reports connections by transport, rooms, actions in flight, the store and the counters", async function () {
    ts = await startTestServer({ limits: { messagesPerSecond: 5, messageBurst: 5 } });
    const a = await open("websocket");
    const b = await open("polling");
    await a.request({ event: "roomAdd", room: "defaultRoom" }, 1);
    await b.request({ event: "roomAdd", room: "otherRoom" }, 2);
    a.send({ event: "action", params: { action: "sleepTest", sleepDuration: 300 }, messageId: "s" });
    await waitUntil(() => ts!.ws.stats().actionsInFlight === 1, 2000, "an action in flight");
    const stats = ts.ws.stats();
    expect(stats.connections).to.equal(2);
    expect(stats.connectionsByTransport).to.deep.equal({ websocket: 1, polling: 1 });
    expect(stats.localRooms).to.equal(2);
    expect(stats.store).to.deep.equal({ kind: "memory", ready: true });
    expect(stats.redis).to.equal(null);
    expect(stats.pendingRpc).to.equal(0);
    expect(stats.closing).to.equal(false);
    for (const key of ["rateLimited", "rateLimitCloses", "badFrames", "oversizedFrames", "slowConsumerCloses", "originRefused", "pubsubReconnects"] as const) {
      expect(stats[key], key).to.equal(0);
    }
    await a.next((f) => f.messageId === "s", 2000);
    b.sendRaw("{not json");
    for (let i = 0; i < 10; i++) b.send({ event: "detailsView", messageId: `r${i}` });
    await waitUntil(() => ts!.ws.stats().rateLimited > 0 && ts!.ws.stats().badFrames === 1, 3000, "counters move");
    expect(ts.ws.stats().actionsInFlight).to.equal(0);
  });

  it("registers prom-client metrics that read the live counters, and removes them on close", async function () {
    const registry = new Registry();
    ts = await startTestServer({ metrics: { registry }, limits: { messagesPerSecond: 5, messageBurst: 5 } });
    const a = await open();
    await a.request({ event: "roomAdd", room: "defaultRoom" }, 1);
    await a.request({ event: "say", room: "defaultRoom", message: "hi" }, 2);
    await a.request({ event: "action", params: { action: "randomNumber" } }, 3);
    await a.request({ event: "action", params: { action: "failing" } }, 4);
    await a.request({ event: "action", params: { action: "no-such-action" } }, 5);
    a.sendRaw("[1,2");
    await waitUntil(() => ts!.ws.stats().badFrames === 1, 2000, "the bad frame is counted");
    const text = await registry.metrics();
    expect(registry.contentType).to.match(/^text\/plain/);
    expect(sample(text, 'ahws_connections{transport="websocket"}')).to.equal(1);
    expect(sample(text, 'ahws_frames_total{verb="roomAdd"}')).to.equal(1);
    expect(sample(text, 'ahws_frames_total{verb="say"}')).to.equal(1);
    expect(sample(text, 'ahws_frames_total{verb="action"}')).to.equal(3);
    expect(sample(text, 'ahws_actions_total{action="randomNumber",status="ok"}')).to.equal(1);
    expect(sample(text, 'ahws_actions_total{action="failing",status="failed"}')).to.equal(1);
    expect(sample(text, 'ahws_actions_total{action="unknown",status="unknown"}')).to.equal(1);
    expect(sample(text, 'ahws_bad_frames_total{reason="invalid_json"}')).to.equal(1);
    expect(sample(text, "ahws_rate_limited_total")).to.equal(0);
    expect(sample(text, "ahws_slow_consumer_closes_total")).to.equal(0);
    expect(sample(text, "ahws_actions_in_flight")).to.equal(0);
    expect(text, "no Redis gauge with the embedded store").to.not.include("ahws_redis_up");

    for (let i = 0; i < 10; i++) a.send({ event: "detailsView", messageId: `r${i}` });
    await waitUntil(() => ts!.ws.stats().rateLimited > 0, 2000, "rate limited");
    expect(sample(await registry.metrics(), "ahws_rate_limited_total")).to.equal(ts.ws.stats().rateLimited);

    await ts.close();
    ts = undefined;
    expect(registry.getSingleMetric("ahws_connections")).to.equal(undefined);
    expect(await registry.metrics()).to.not.include("ahws_");
    // The same registry can serve the next server.
    ts = await startTestServer({ metrics: { registry, prefix: "chat_" } });
    expect(await registry.metrics()).to.include("chat_connections");
  });

  it("reports Redis health in stats() and ahws_redis_up, down while Redis is gone", async function () {
    let redis: RedisServer | undefined;
    try {
      redis = await startRedisServer({ own: true });
      const registry = new Registry();
      ts = await startTestServer({ redis: redis.url, redisPrefix: `ahws-metrics-${process.pid}:`, metrics: { registry } });
      ts.ws.on("error", () => undefined);
      expect(ts.ws.stats().store.kind).to.equal("redis");
      expect(ts.ws.stats().redis).to.deep.equal({ up: true, store: true, bus: true });
      expect(sample(await registry.metrics(), "ahws_redis_up")).to.equal(1);
      await redis.kill();
      await waitUntil(() => ts!.ws.stats().redis?.up === false, 5000, "Redis reported down");
      expect(sample(await registry.metrics(), "ahws_redis_up")).to.equal(0);
      await redis.restart();
      await waitUntil(() => ts!.ws.stats().redis?.up === true, 10_000, "Redis reported up again");
      expect(sample(await registry.metrics(), "ahws_redis_up")).to.equal(1);
      await waitUntil(() => ts!.ws.stats().pubsubReconnects >= 1, 5000, "the subscriber reconnect is counted");
      expect(sample(await registry.metrics(), "ahws_pubsub_reconnects_total")).to.equal(ts.ws.stats().pubsubReconnects);
    } finally {
      await ts?.close();
      ts = undefined;
      await redis?.stop();
    }
  });

  it("validates the metrics option, naming it", function () {
    const bad: unknown[] = [{}, { registry: {} }, { registry: new Registry(), prefix: "bad prefix" }, "registry"];
    for (const metrics of bad) {
      expect(() => actionheroWs({ metrics: metrics as never, enabled: false }), JSON.stringify(metrics)).to.throw(TypeError, /option "metrics"/);
    }
  });

  it("keeps prom-client optional: the library never imports it statically", function () {
    const root = fileURLToPath(new URL("../../lib", import.meta.url));
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith(".js")) files.push(full);
      }
    };
    walk(root);
    const staticImports = files.filter((file) => /^\s*import\s[^(]*from\s+["']prom-client["']/m.test(readFileSync(file, "utf8")));
    expect(staticImports).to.deep.equal([]);
    expect(files.some((file) => readFileSync(file, "utf8").includes('import("prom-client")'))).to.equal(true);
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as Record<string, Record<string, unknown> | undefined>;
    expect(pkg.dependencies?.["prom-client"]).to.equal(undefined);
    expect(pkg.peerDependencies?.["prom-client"]).to.be.a("string");
    expect(pkg.peerDependenciesMeta?.["prom-client"]).to.deep.equal({ optional: true });
  });
});
