/**
 * Ghost members (README §3, ecosystem §2 row 18): a node that dies leaves its members in
 * Redis; the others must remove them once its heartbeat key is gone — each exactly once,
 * even when several nodes sweep at the same moment — and must never touch members they
 * cannot prove dead (Actionhero's records, records without a host, garbage).
 *
 * Node A runs in a child process that is SIGKILLed: a real crash, no close(), no cleanup.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { SweptMember } from "../../lib/stores/room-store.js";
import { RedisRoomStore } from "../../lib/stores/redis-room-store.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { busOptions, storeOptions } from "../support/store-options.js";

const STORE_MODULE = new URL("../../lib/stores/redis-room-store.js", import.meta.url).href;
const CHILD_READY_TIMEOUT_MS = 10_000;

/** The crashing node: starts a store, adds members, prints READY, then waits to be killed. */
const CHILD_SOURCE = `
const { RedisRoomStore } = await import(process.env.STORE_MODULE);
const store = new RedisRoomStore({ redis: process.env.STORE_REDIS, prefix: process.env.STORE_PREFIX, nodeId: process.env.STORE_NODE,
  heartbeatMs: 100, nodeTtlMs: 500, startTimeoutMs: 10000, commandTimeoutMs: 1500 });
store.on("error", () => {});
await store.start();
for (const { room, id } of JSON.parse(process.env.STORE_MEMBERS)) {
  await store.addRoom(room);
  await store.setMember(room, { id, joinedAt: Date.now(), host: process.env.STORE_NODE, nick: "n-" + id });
}
process.stdout.write("READY\\n");
`;

interface Placement {
  room: string;
  id: string;
}

/** Starts node A in a child process; resolves once its members are stored. */
async function startCrashableNode(url: string, prefix: string, nodeId: string, members: Placement[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD_SOURCE], {
    env: {
      PATH: process.env.PATH,
      STORE_MODULE,
      STORE_REDIS: url,
      STORE_PREFIX: prefix,
      STORE_NODE: nodeId,
      STORE_MEMBERS: JSON.stringify(members),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`node A not ready within ${CHILD_READY_TIMEOUT_MS} ms:\n${output}`)), CHILD_READY_TIMEOUT_MS);
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("READY")) resolve();
      });
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => reject(new Error(`node A exited early (${code}):\n${output}`)));
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return child;
}

async function crash(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
async function eventually(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const identify = (swept: SweptMember[]): string[] => swept.map((s) => `${s.room}|${s.member.id}`).sort();

describe("RedisRoomStore liveness: ghost members of dead nodes", function () {
  let server: RedisServer;
  let raw: ReturnType<typeof createClient>;
  let prefix: string;
  const stores: RedisRoomStore[] = [];
  const children: ChildProcess[] = [];

  before(async function () {
    server = await startRedisServer();
    raw = createClient({ url: server.url });
    raw.on("error", () => undefined);
    await raw.connect();
  });
  after(async function () {
    await raw?.close();
    await server?.stop();
  });
  beforeEach(function () {
    prefix = `test:${randomUUID()}:`;
  });
  afterEach(async function () {
    await Promise.all(children.splice(0).map(crash));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    // REDIS_URL may point at a shared server: leave nothing behind (our prefix has no glob characters)
    const left: string[] = [];
    for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) left.push(...batch);
    if (left.length > 0) await raw.del(left);
  });

  async function node(nodeId: string, extra: Partial<ConstructorParameters<typeof RedisRoomStore>[0]> = {}): Promise<RedisRoomStore> {
    const store = new RedisRoomStore(storeOptions(server.url, { prefix, nodeId, ...extra }));
    stores.push(store);
    await store.start();
    return store;
  }

  it("keeps a heartbeat key with a TTL while running and deletes it on close", async function () {
    const a = await node("node-a", { heartbeatMs: 100, nodeTtlMs: 300 });
    const key = a.keys.node("node-a");
    const ttl = await raw.pTTL(key);
    expect(ttl).to.be.greaterThan(0).and.at.most(300);
    expect(Number(await raw.get(key))).to.be.closeTo(Date.now(), 2_000);
    // several TTLs later the key is still there: the timer refreshes it
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await raw.exists(key)).to.equal(1);
    await a.close();
    expect(await raw.exists(key)).to.equal(0);
  });

  it("sweeps a crashed node's members once its key expired, exactly once, leaving the rest", async function () {
    const placements: Placement[] = [
      { room: "lobby", id: "a1" },
      { room: "lobby", id: "a2" },
      { room: "game:*", id: "a3" },
      { room: "", id: "a4" },
      { room: "чат", id: "a5" },
    ];
    const a = await startCrashableNode(server.url, prefix, "node-a", placements);
    children.push(a);
    const b = await node("node-b");
    const lobby = b.keys.members("lobby");
    await b.setMember("lobby", { id: "b1", joinedAt: 1, host: "node-b" });
    // records the sweep cannot prove dead, written the way others write them
    await raw.hSet(lobby, "actionhero-1", JSON.stringify({ id: "actionhero-1", joinedAt: 1, host: "192.0.2.2" }));
    await raw.hSet(lobby, "no-host", JSON.stringify({ id: "no-host", joinedAt: 1, ahwsNode: true }));
    await raw.hSet(lobby, "garbage", "not json {");

    expect(await b.sweepDeadMembers(), "A is alive").to.deep.equal([]);
    await crash(a);
    expect(await b.sweepDeadMembers(), "A's key has not expired yet").to.deep.equal([]);

    await eventually("node A's heartbeat key to expire", 3_000, async () => (await raw.exists(b.keys.node("node-a"))) === 0);
    const swept = await b.sweepDeadMembers();
    expect(identify(swept)).to.deep.equal(placements.map((p) => `${p.room}|${p.id}`).sort());
    for (const { member } of swept) {
      expect(member.host).to.equal("node-a");
      expect(member.nick).to.equal(`n-${member.id}`);
      expect(member).to.not.have.property("ahwsNode");
    }
    expect(await b.sweepDeadMembers(), "second sweep").to.deep.equal([]);
    expect(Object.keys(await raw.hGetAll(lobby)).sort()).to.deep.equal(["actionhero-1", "b1", "garbage", "no-host"]);
    expect(await raw.exists(b.keys.members("game:*"))).to.equal(0);
  });

  it("reports each ghost exactly once when nodes B and C sweep at the same time", async function () {
    const placements: Placement[] = [];
    for (let n = 0; n < 300; n++) placements.push({ room: `room-${n % 10}`, id: `a${n}` });
    const a = await startCrashableNode(server.url, prefix, "node-a", placements);
    children.push(a);
    const [b, c] = await Promise.all([node("node-b"), node("node-c")]);
    await crash(a);
    // the key of a crashed node may also vanish early (e.g. an operator deletes it)
    await raw.del(b.keys.node("node-a"));

    const [byB, byC] = await Promise.all([b.sweepDeadMembers(), c.sweepDeadMembers()]);
    const all = [...identify(byB), ...identify(byC)];
    expect(all).to.have.length(300);
    expect(new Set(all).size).to.equal(300);
    expect(all.sort()).to.deep.equal(placements.map((p) => `${p.room}|${p.id}`).sort());
    for (let n = 0; n < 10; n++) expect(await raw.exists(b.keys.members(`room-${n}`))).to.equal(0);
  });

  it("sweeps at once the members a node left behind when it closed", async function () {
    const d = await node("node-d");
    await d.addRoom("lobby");
    await d.setMember("lobby", { id: "d1", joinedAt: 1, host: "node-d" });
    await d.close();
    const b = await node("node-b");
    expect(identify(await b.sweepDeadMembers())).to.deep.equal(["lobby|d1"]);
  });

  it("never sweeps its own members, even when its key was lost", async function () {
    const b = await node("node-b");
    await b.addRoom("lobby");
    await b.setMember("lobby", { id: "b1", joinedAt: 1, host: "node-b" });
    await raw.del(b.keys.node("node-b"));
    expect(await b.sweepDeadMembers()).to.deep.equal([]);
    expect(await raw.exists(b.keys.node("node-b")), "the sweep re-announced this node").to.equal(1);
  });
});
