/**
 * Fault #21: memory over connect/disconnect cycles. 2000 websocket clients (50 at a time)
 * connect, join a room, say, run an action and leave; afterwards every internal map is
 * empty (connections, local rooms, Primus sparks, socket.io sockets, engine.io clients,
 * pending RPC, in-flight actions, stored members), the Connection objects are collectable
 * (nothing — rate-limit buckets included — keeps them), and the heap stops growing: the
 * first cycles still warm V8 up (optimised code, feedback), so the second 1000 cycles are
 * the leak detector — a leak of 1 KiB per cycle would show as 1 MiB there.
 */
import { expect } from "chai";
import type { Server as SocketIoServer } from "socket.io";
import type { Connection } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { waitUntil } from "../support/raw-io.js";
import { gcFunction, settledHeapUsed } from "../support/gc.js";

const CYCLES = 2000;
const BATCH = 50;

describe("no leaks over 2000 connect/room/say/action/disconnect cycles", function () {
  this.timeout(120_000);
  let ts: TestServer;
  const refs: Array<WeakRef<Connection>> = [];

  before(async () => {
    gcFunction();
    ts = await startTestServer();
    ts.ws.on("connection", (connection) => refs.push(new WeakRef(connection)));
  });
  after(() => ts.close());

  async function cycle(n: number): Promise<void> {
    const client = await RawClient.open(ts.ws, ts.url);
    try {
      const joined = await client.request({ event: "roomAdd", room: "defaultRoom" });
      if (joined.status !== "OK") throw new Error(`roomAdd: ${JSON.stringify(joined)}`);
      const said = await client.request({ event: "say", room: "defaultRoom", message: `m${n}` });
      if (said.status !== "OK") throw new Error(`say: ${JSON.stringify(said)}`);
      const action = await client.request({ event: "action", params: { action: "randomNumber" } });
      if (typeof action.randomNumber !== "number") throw new Error(`action: ${JSON.stringify(action)}`);
    } finally {
      client.close();
    }
  }

  async function run(cycles: number, offset: number): Promise<void> {
    for (let start = 0; start < cycles; start += BATCH) {
      const batch: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(cycles, start + BATCH); i++) batch.push(cycle(offset + i));
      await Promise.all(batch);
    }
    await waitUntil(() => ts.ws.connections.size === 0, 10_000, "every connection is gone");
  }

  function internals() {
    const primus = ts.ws.primus!;
    const io = primus.transformer.service as SocketIoServer;
    const engine = io.engine as unknown as { clientsCount: number };
    return {
      connections: ts.ws.connections.size,
      localRooms: ts.ws.stats().localRooms,
      sparks: Object.keys(primus.connections).length,
      primusConnected: primus.connected,
      socketIoSockets: io.of("/").sockets.size,
      socketIoRooms: io.of("/").adapter.rooms.size,
      engineClients: engine.clientsCount,
      pendingRpc: ts.ws.stats().pendingRpc,
      actionsInFlight: ts.ws.stats().actionsInFlight,
    };
  }

  it("leaves every map empty, the connections collectable and the heap near its baseline", async function () {
    // Warm up (JIT, socket.io/engine.io lazy structures), then take the baseline.
    await run(200, 0);
    const baseline = await settledHeapUsed(6);
    refs.length = 0;

    const started = Date.now();
    await run(CYCLES / 2, 200);
    const half = await settledHeapUsed(6);
    await run(CYCLES / 2, 200 + CYCLES / 2);
    // Bounded by count; the time is only reported (the suite's timeout bounds it).
    const took = Date.now() - started;

    const empty = internals();
    expect(empty).to.deep.equal({
      connections: 0, localRooms: 0, sparks: 0, primusConnected: 0, socketIoSockets: 0,
      socketIoRooms: 0, engineClients: 0, pendingRpc: 0, actionsInFlight: 0,
    });
    const room = await ts.ws.chatRoom.roomStatus("defaultRoom");
    expect(room.membersCount).to.equal(0);
    expect(refs).to.have.length(CYCLES);

    const after = await settledHeapUsed(6);
    // WeakRefs only clear once the job that read them is over: turn the loop, collect again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gcFunction()();
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    const MiB = 1024 * 1024;
    expect(alive, "server-side Connection objects still reachable").to.be.at.most(2);
    expect((after - half) / MiB, "heap growth in MiB over the second 1000 cycles").to.be.below(1);
    expect((after - baseline) / MiB, `heap growth in MiB over ${CYCLES} cycles, warm-up included`).to.be.below(4);
  });
});
