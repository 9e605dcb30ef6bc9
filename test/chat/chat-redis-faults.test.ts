/**
 * Redis faults seen from the whole middleware (ecosystem §2 rows 14-16): Redis SIGKILLed
 * while two servers have clients in rooms, then restarted empty on the same port; and
 * Redis unreachable at start. Expected: no crash and no unhandled rejection, actions keep
 * working, chat verbs fail fast with a clear error, and recovery needs nobody's help.
 */
import { expect } from "chai";
import express from "express";
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { actionheroWs } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient, type Frame } from "../support/primus-client.js";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { guardProcess, idOf, sleep, timedRejection, userFrames, waitFor } from "../support/chat-helpers.js";

/** A chat verb must fail within this while Redis is gone (command timeout 1.5 s + slack). */
const FAST_MS = 2000;
/** `String(err)` as Actionhero sends verb errors; the error is a RedisUnavailableError. */
const UNAVAILABLE = /^Error: actionhero-ws: Redis unavailable at redis:\/\/127\.0\.0\.1:\d+ \(.+\)$/;

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}


describe("Redis faults: SIGKILL and restart under two servers with clients in rooms", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let s1: TestServer;
  let s2: TestServer;
  let a: RawClient;
  let b: RawClient;
  let aId: string;
  let bId: string;
  let guard: ReturnType<typeof guardProcess>;
  const clients: RawClient[] = [];

  before(async function () {
    redis = await startRedisServer({ own: true });
    guard = guardProcess();
    const prefix = `ahws-faults-${randomUUID()}:`;
    s1 = await startTestServer({ redis: redis.url, redisPrefix: prefix, id: "faults-1" });
    s2 = await startTestServer({ redis: redis.url, redisPrefix: prefix, id: "faults-2" });
    a = await RawClient.open(s1.ws, s1.url);
    b = await RawClient.open(s2.ws, s2.url);
    clients.push(a, b);
    aId = await idOf(a);
    bId = await idOf(b);
    for (const client of [a, b]) expect((await client.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
    const mark = b.frames.length;
    await a.request({ event: "say", room: "defaultRoom", message: "before the crash" });
    await b.next((f) => f.message === "before the crash", 5000, mark);
  });

  after(async () => {
    for (const client of clients) client.close();
    await s1?.close();
    await s2?.close();
    await redis?.stop();
    guard?.remove();
  });

  it("Redis SIGKILLed: actions still work, chat verbs answer a clear error fast, nothing crashes", async () => {
    await redis.kill();
    // asked at once, before anyone noticed: bounded by the command timeout, never a hang
    const early = await timed(a.request({ event: "say", room: "defaultRoom", message: "right after the crash" }, 5000));
    expect(early.ms).to.be.below(FAST_MS);
    expect(early.value.error, JSON.stringify(early.value)).to.match(UNAVAILABLE);

    await waitFor(() => !s1.ws.stats().store.ready && !s2.ws.stats().store.ready, 5000, "both servers to see Redis down");

    const action = await timed(a.request({ event: "action", params: { action: "randomNumber" } }));
    expect(action.value.error).to.equal(undefined);
    expect(action.value.randomNumber).to.be.a("number");
    expect(action.ms).to.be.below(500);
    const details = await b.request({ event: "detailsView" });
    expect((details.data as { rooms: string[] }).rooms).to.deep.equal(["defaultRoom"]);

    const frames: Array<[Frame, RawClient]> = [
      [{ event: "say", room: "defaultRoom", message: "anyone?" }, a],
      [{ event: "roomAdd", room: "otherRoom" }, a],
      [{ event: "roomView", room: "defaultRoom" }, b],
      [{ event: "roomLeave", room: "defaultRoom" }, b],
    ];
    for (const [frame, client] of frames) {
      const reply = await timed(client.request(frame, 5000));
      expect(reply.ms, String(frame.event)).to.be.below(FAST_MS);
      expect(reply.value.status, String(frame.event)).to.match(UNAVAILABLE);
      expect(reply.value.error, String(frame.event)).to.equal(reply.value.status);
    }
    // a refused leave keeps the member where it was
    expect(s2.ws.connections.get(bId)?.rooms).to.deep.equal(["defaultRoom"]);

    for (const call of [() => s1.ws.chatRoom.broadcast({}, "defaultRoom", "x"), () => s1.ws.chatRoom.list(), () => s2.ws.chatRoom.roomStatus("defaultRoom"), () => s2.ws.chatRoom.add("new-room")]) {
      const { error, ms } = await timedRejection(call());
      expect(ms).to.be.below(FAST_MS);
      expect(`Error: ${(error as Error).message}`).to.match(UNAVAILABLE);
    }

    // new clients still connect and run actions
    const late = await RawClient.open(s2.ws, s2.url);
    clients.push(late);
    expect((await late.request({ event: "action", params: { action: "randomNumber" } })).error).to.equal(undefined);

    await sleep(300);
    expect(guard.failures, "unhandled rejections / uncaught exceptions").to.deep.equal([]);
  });

  it("Redis restarted empty on the same port: everything recovers by itself", async () => {
    const [ma, mb] = [a.frames.length, b.frames.length];
    await redis.restart();
    // the room's history went with Redis (history is on by default): once the bus is back,
    // each member is told its room cannot be recovered, instead of a bus-wide notice
    for (const [client, mark] of [[a, ma], [b, mb]] as const) {
      const resync = await client.next((f) => f.context === "api" && f.event === "resync", 15_000, mark);
      expect(resync.room).to.equal("defaultRoom");
      expect(resync.message).to.be.a("string");
    }
    // the resync frame follows the subscriber; the publisher may come back a moment later
    await waitFor(() => Boolean(s1.ws.stats().redis?.up && s2.ws.stats().redis?.up), 10_000, "store and bus of both servers up again");

    // starting rooms are back although Redis lost everything
    for (const ts of [s1, s2]) {
      await waitFor(async () => (await ts.ws.chatRoom.list()).sort().join() === "defaultRoom,otherRoom", 5000, `${ts.ws.id} to see the starting rooms`);
    }
    // the members this node still holds are stored again
    await waitFor(async () => (await s1.ws.chatRoom.roomStatus("defaultRoom")).membersCount === 2, 5000, "defaultRoom to list its 2 members again");
    const status = await b.request({ event: "roomView", room: "defaultRoom" });
    expect(Object.keys((status.data as { members: object }).members).sort()).to.deep.equal([aId, bId].sort());

    // say works across the two servers again, once per member
    const [ma2, mb2] = [a.frames.length, b.frames.length];
    expect((await a.request({ event: "say", room: "defaultRoom", message: "after the restart" })).status).to.equal("OK");
    await b.next((f) => f.message === "after the restart", 5000, mb2);
    await a.next((f) => f.message === "after the restart", 5000, ma2);
    expect((await b.request({ event: "roomAdd", room: "otherRoom" })).data).to.equal(true);
    await s1.ws.chatRoom.broadcast({}, "otherRoom", "server to otherRoom");
    await b.next((f) => f.message === "server to otherRoom", 5000, mb2);
    await sleep(300);
    expect(userFrames(b, mb2, "after the restart")).to.have.length(1);
    expect(userFrames(a, ma2, "after the restart")).to.have.length(1);
    expect(userFrames(a, ma2, "server to otherRoom")).to.have.length(0);
    expect(guard.failures, "unhandled rejections / uncaught exceptions").to.deep.equal([]);
  });

  it("a client that leaves while the store is disconnected (Redis keeps its data) leaves no record behind", async () => {
    const raw = createClient({ url: redis.url });
    raw.on("error", () => undefined);
    await raw.connect();
    try {
      const leaver = await RawClient.open(s1.ws, s1.url);
      clients.push(leaver);
      const leaverId = await idOf(leaver);
      await leaver.request({ event: "roomAdd", room: "defaultRoom" });
      const key = `${s1.ws.options.redisPrefix}chatRoom:members:defaultRoom`;
      expect((await raw.hKeys(key)).sort()).to.deep.equal([aId, bId, leaverId].sort());

      // drop the servers' command connections and keep them out for a while (a password
      // they do not know); Redis and its data stay, and so does this already-authenticated client
      await raw.configSet("requirepass", "ahws-lockout");
      try {
        await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
        await waitFor(() => !s1.ws.stats().store.ready, 2000, "s1's store to notice the dropped connection");
        await s1.ws.connections.get(leaverId)!.destroy();
        expect(s1.ws.connections.has(leaverId)).to.equal(false);
        expect(await raw.hKeys(key), "the removal failed while disconnected").to.include(leaverId);
        await sleep(300);
        expect(s1.ws.stats().store.ready, "still locked out").to.equal(false);
      } finally {
        await raw.configSet("requirepass", "");
      }

      // s1 is alive, so no sweep will ever remove it: s1 must clean up when it reconnects
      await waitFor(() => Boolean(s1.ws.stats().redis?.up && s2.ws.stats().redis?.up), 10_000, "both servers to reconnect");
      await waitFor(async () => !(await raw.hKeys(key)).includes(leaverId), 5000, "the stale record to be removed");
      expect((await raw.hKeys(key)).sort()).to.deep.equal([aId, bId].sort());
      expect((await s2.ws.chatRoom.roomStatus("defaultRoom")).membersCount).to.equal(2);
      expect(guard.failures).to.deep.equal([]);
    } finally {
      await raw.close();
    }
  });
});

describe("Redis faults: Redis unreachable at start", function () {
  let guard: ReturnType<typeof guardProcess>;
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(() => guard.remove());

  it("ws.ready() rejects within redisStartTimeoutMs with a clear message; the app's HTTP server keeps serving", async () => {
    const port = await freePort();
    const ws = actionheroWs({ redis: `redis://127.0.0.1:${port}`, redisStartTimeoutMs: 1000, clientJsName: null });
    const app = express();
    app.use(ws);
    app.get("/hello", (_req, res) => {
      res.json({ hello: "world" });
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      ws.attach(server);
      const { error, ms } = await timedRejection(ws.ready());
      expect(error.message).to.equal(`actionhero-ws: could not connect to Redis at redis://127.0.0.1:${port} within 1000 ms (ECONNREFUSED)`);
      expect(ms).to.be.within(900, 2500);
      const { port: httpPort } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${httpPort}/hello`, { signal: AbortSignal.timeout(5000) });
      expect(await response.json()).to.deep.equal({ hello: "world" });
      await sleep(500);
      expect(guard.failures, "unhandled rejections / uncaught exceptions").to.deep.equal([]);
    } finally {
      await ws.close({ timeoutMs: 1000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("the start failure also reaches an `error` listener, once", async () => {
    const port = await freePort();
    const errors: Error[] = [];
    const ws = actionheroWs({ redis: `redis://127.0.0.1:${port}`, redisStartTimeoutMs: 500, clientJsName: null });
    ws.on("error", (error) => errors.push(error));
    const { error } = await timedRejection(ws.ready());
    await sleep(200);
    expect(errors.map((e) => e.message)).to.deep.equal([error.message]);
    await ws.close({ timeoutMs: 1000 });
    expect(guard.failures).to.deep.equal([]);
  });
});
