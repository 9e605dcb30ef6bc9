/**
 * runCluster() (actionhero-ws/cluster): a primary and 2 workers on one Redis, driven by the
 * generated client in Node over long-polling and websocket. New sessions go round-robin
 * (every client has the same address), every polling request of a session reaches the
 * worker that holds it, chat crosses workers, a killed worker is replaced and its members
 * are swept, SIGTERM closes every worker gracefully. The fixture sets the IPC
 * serialization that breaks @socket.io/sticky: routing must not depend on it.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { runCluster } from "../../lib/workers/index.js";
import { fetchClient, withTimeout, type Client, type ClientClass } from "../support/node-client.js";
import { remoteClientFactory, waitFor } from "../support/chat-helpers.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { alive, RunnerProcess } from "../support/runner.js";
import type { ActionheroWs } from "../../lib/index.js";
import type { PrimusClientConstructor } from "../../lib/client/ActionheroWebsocketClient.js";

const POLLING = { transports: ["polling"] };
const WEBSOCKET = { transports: ["websocket"] };

describe("runCluster: workers behind one port", function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let publicDir: string;
  let factory: { ws: ActionheroWs; close(): Promise<void> };
  let runner: RunnerProcess;
  let url: string;
  let prefix: string;
  let Client: ClientClass;
  let cookie: string;
  const clients: Client[] = [];

  function connect(transport: Record<string, unknown>): Promise<Client> {
    const client = new Client({
      url,
      Primus: factory.ws.primus!.Socket as unknown as PrimusClientConstructor,
      transport: { ...transport, extraHeaders: { cookie } },
      reconnect: { min: 100, max: 500, retries: 30 },
    });
    clients.push(client);
    return withTimeout(client.connect().then(() => client), 15_000, "client connect");
  }
  const whoami = async (client: Client): Promise<number> => ((await client.action("whoami")) as unknown as { pid: number }).pid;

  before(async function () {
    redis = await startRedisServer();
    publicDir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-runner-"));
    factory = await remoteClientFactory();
    prefix = `ahws-runner-${randomUUID()}:`;
    runner = RunnerProcess.start({ RUNNER_REDIS: redis.url, RUNNER_PREFIX: prefix, RUNNER_WORKERS: "2", RUNNER_PUBLIC: publicDir });
    const listening = await runner.line((l) => l.event === "listening", 60_000, "listening line");
    url = `http://127.0.0.1:${String(listening.port)}`;
    ({ ActionheroWebsocketClient: Client, cookie } = await fetchClient(url));
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await runner?.kill();
    await factory?.close();
    await redis?.stop();
    if (publicDir) rmSync(publicDir, { recursive: true, force: true });
  });

  it("refuses options it does not know: no balancing mode or serialization to get wrong", () => {
    const app = () => { throw new Error("never called"); };
    expect(() => runCluster({ app, loadBalancingMethod: "least-connection" } as never)).to.throw(TypeError, /unknown option "runCluster.loadBalancingMethod"/);
    expect(() => runCluster({ app, workers: 0 })).to.throw(TypeError, /"runCluster.workers" must be a positive integer/);
    expect(() => runCluster({} as never)).to.throw(TypeError, /"runCluster.app" is required/);
  });

  it("spreads a burst of new polling sessions round-robin and keeps each on its worker", async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, () => connect(POLLING)));
    let reconnects = 0;
    for (const client of burst) client.on("reconnecting", () => reconnects++);
    const owners = await Promise.all(burst.map(whoami));
    const perWorker = new Map<number, number>();
    for (const pid of owners) perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
    expect([...perWorker.values()], JSON.stringify([...perWorker])).to.deep.equal([4, 4]);
    // 5 more round trips each: every polling request reaches the worker holding the session
    for (let round = 0; round < 5; round++) {
      expect(await Promise.all(burst.map(whoami))).to.deep.equal(owners);
    }
    expect(reconnects, "no session was lost to a wrong worker").to.equal(0);
    for (const client of burst) expect(client.state).to.equal("connected");
  });

  it("carries chat across workers, polling and websocket alike", async () => {
    const [a, b, c] = await Promise.all([connect(POLLING), connect(POLLING), connect(WEBSOCKET)]);
    const pids = new Set(await Promise.all([a, b, c].map(whoami)));
    expect(pids.size, "the three clients are on both workers").to.equal(2);
    for (const client of [a, b, c]) await client.roomAdd("defaultRoom");
    const got: unknown[] = [];
    for (const client of [a, b, c]) client.on("say", (m: { message: unknown }) => got.push(m.message));
    await a.say("defaultRoom", "hello from a poller");
    await c.say("defaultRoom", "hello from a websocket");
    await waitFor(() => got.length === 6, 10_000, "every client got both messages");
    expect(got.filter((m) => m === "hello from a poller")).to.have.length(3);
  });

  it("replaces a killed worker; its clients reconnect and its members are swept", async () => {
    for (const client of clients.splice(0)) client.disconnect();
    const members = await Promise.all(Array.from({ length: 4 }, () => connect(POLLING)));
    for (const client of members) await client.roomAdd("defaultRoom");
    const owners = await Promise.all(members.map(whoami));
    const victim = owners[0];
    const oldIds = members.filter((_, i) => owners[i] === victim).map((client) => client.id);
    const from = runner.lines.length;
    // a request sent while a client is still reconnecting waits for its timeout: ask after the reconnect
    const reconnected = members.filter((_, i) => owners[i] === victim).map((client) => withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 30_000, "reconnect"));
    process.kill(victim, "SIGKILL");
    await Promise.all(reconnected);
    const replaced = await runner.line((l) => l.msg === "worker ready", 30_000, "a replacement worker", from);
    expect(replaced.pid).to.not.equal(victim);
    // every client is back, in its room, and chat works across the workers again
    let seen: unknown[] = [];
    await waitFor(async () => {
      seen = await Promise.all(members.map((m) => whoami(m).catch((e: Error) => e.message)));
      return seen.every((pid) => typeof pid === "number" && pid !== victim);
    }, 30_000, "clients off the dead worker").catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(seen)} states ${members.map((m) => m.state).join()} victim ${victim}`);
    });
    const store = createClient({ url: redis.url });
    await store.connect();
    try {
      await waitFor(async () => {
        const ids = Object.keys(await store.hGetAll(`${prefix}chatRoom:members:defaultRoom`));
        return ids.length === members.length && oldIds.every((id) => !ids.includes(id as string));
      }, 20_000, "the dead worker's members swept and the reconnected clients back in the room");
    } finally {
      await store.quit();
    }
    const got: unknown[] = [];
    for (const client of members) client.on("say", (m: { message: unknown }) => got.push(m.message));
    await members[0].say("defaultRoom", "after the crash");
    await waitFor(() => got.length === members.length, 10_000, "every member got the message");
  });

  it("answers a request it cannot route with a clear error, and keeps serving", async () => {
    const port = Number(new URL(url).port);
    const raw = async (request: string): Promise<string> => {
      const net = await import("node:net");
      return withTimeout(new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
        let text = "";
        socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      }), 5_000, "raw request");
    };
    const chunked = await raw("POST /api/whoami HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    expect(chunked).to.match(/^HTTP\/1.1 411 /).and.include('"error":"send a Content-Length');
    const huge = await raw(`GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(huge).to.match(/^HTTP\/1.1 431 /).and.include("request head too large");
    const posted = await fetch(`${url}/api/whoami`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pad: "p".repeat(50_000) }) });
    expect(posted.status, "a body larger than one TCP segment reaches the worker whole").to.equal(200);
    expect(((await posted.json()) as { receivedParams?: unknown; pid?: number }).pid).to.be.a("number");
  });

  it("closes every worker gracefully on SIGTERM (each ws.close() removes its members)", async () => {
    const members = await Promise.all([connect(POLLING), connect(WEBSOCKET)]);
    for (const client of members) await client.roomAdd("defaultRoom");
    const pids = (await Promise.all(members.map(whoami)));
    runner.child.kill("SIGTERM");
    expect(await runner.exit(20_000)).to.deep.equal({ code: 0, signal: null });
    for (const pid of pids) expect(alive(pid), `worker ${pid} gone`).to.equal(false);
    const store = createClient({ url: redis.url });
    await store.connect();
    try {
      expect(await store.hLen(`${prefix}chatRoom:members:defaultRoom`)).to.equal(0);
    } finally {
      await store.quit();
    }
  });
});

describe("runCluster without Redis", function () {
  this.timeout(60_000);
  it("refuses to start, with a clear error, and leaves no worker behind", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-runner-"));
    const runner = RunnerProcess.start({ RUNNER_WORKERS: "2", RUNNER_PUBLIC: dir });
    try {
      const failed = await runner.line((l) => typeof l.error === "string", 45_000, "error line");
      expect(failed.error).to.match(/worker \d could not start: actionhero-ws: runCluster needs Redis: pass `redis` to actionheroWs\(\)/);
      expect(await runner.exit(15_000)).to.deep.include({ code: 1 });
    } finally {
      await runner.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
