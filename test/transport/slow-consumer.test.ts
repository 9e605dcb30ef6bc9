/**
 * Fault #12: a client that stops reading. Its outbound buffer is bounded
 * (`limits.outboundBufferBytes`, checked by a sweep within 50 ms of any write): past it the
 * server drops that connection with a stated reason (log + `slowConsumerCloses`), the other
 * members of the room get every message, the broadcasts never wait, and the server's memory
 * stays bounded. An idle server does not sweep.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawIo, httpRequest, recordingLogger, sleep, waitUntil } from "../support/raw-io.js";
import { RawClient } from "../support/primus-client.js";
import { idOf } from "../support/chat-helpers.js";
import { gcFunction, settledHeapUsed } from "../support/gc.js";
import type { Connection } from "../../lib/index.js";
import { sparkFor } from "../support/spark-of.js";
import { markWritten, OutboundSweeper, SWEEP_INTERVAL_MS, type SweptSocket } from "../../lib/transport/outbound-sweeper.js";

const MESSAGES = 10_000;
/** 8 KiB per message: 80 MiB for a reader that never reads, far past any socket buffer. */
const pad = "p".repeat(8 * 1024);

describe("slow consumers", function () {
  this.timeout(60_000);
  let ts: TestServer;
  let log: ReturnType<typeof recordingLogger>;
  const clients: RawIo[] = [];

  beforeEach(async () => {
    log = recordingLogger();
    ts = await startTestServer({ logger: log.logger, server: { maxLength: 64 * 1024 } });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts.close();
  });

  const member = async (track: (seq: number) => void) => {
    const client = await RawIo.open(ts.url, { keep: false });
    clients.push(client);
    client.onFrame((f) => {
      if (f.context === "user") track((f.message as { seq: number }).seq);
    });
    const joined = client.next((f) => f.messageId === "join", 3000);
    client.send({ event: "roomAdd", room: "defaultRoom", messageId: "join" });
    expect((await joined).status).to.equal("OK");
    return client;
  };

  it("drops a websocket reader that stopped reading; the other members get all 10k messages; memory stays bounded", async function () {
    gcFunction();
    const received = [0, 0];
    const inOrder = [true, true];
    const fast = [0, 1].map((i) => member((seq) => {
      if (seq !== received[i]) inOrder[i] = false;
      received[i]++;
    }));
    await Promise.all(fast);
    const slow = await member(() => undefined);
    // Stop reading: the TCP socket under socket.io-client's websocket is paused.
    const engine = (slow.socket.io as unknown as { engine: { transport: { name: string; ws: { _socket: { pause(): void; destroy(): void } } } } }).engine;
    expect(engine.transport.name).to.equal("websocket");
    const tcp = engine.transport.ws._socket;
    tcp.pause();

    const baseline = await settledHeapUsed();
    let peak = baseline;
    const started = Date.now();
    for (let seq = 0; seq < MESSAGES; seq++) {
      await ts.ws.chatRoom.broadcast({}, "defaultRoom", { seq, pad });
      if (seq % 100 === 99) {
        // Let the deliveries of this batch run (the embedded bus delivers on setImmediate).
        await new Promise((resolve) => setImmediate(resolve));
        if (seq % 2000 === 1999) peak = Math.max(peak, await settledHeapUsed(2));
      }
    }
    const broadcastMs = Date.now() - started;

    await waitUntil(() => received[0] === MESSAGES && received[1] === MESSAGES, 30_000, `both readers got ${MESSAGES} (have ${received})`);
    expect(inOrder).to.deep.equal([true, true]);
    await waitUntil(() => ts.ws.connections.size === 2, 5000, "the slow reader is gone");
    const stats = ts.ws.stats();
    expect(stats.slowConsumerCloses).to.equal(1);
    const lines = log.find(/does not read fast enough/, ["warn"]);
    expect(lines).to.have.length(1);
    const record = lines[0].obj as { reason: string; queuedBytes: number; limitBytes: number };
    expect(record.reason).to.equal("slow consumer");
    expect(record.limitBytes).to.equal(1024 * 1024);
    // Dropped by the first sweep after it went over: the limit plus at most one interval of
    // writes, far below the 80 MiB the loop sends.
    expect(record.queuedBytes).to.be.above(record.limitBytes).and.below((MESSAGES * pad.length) / 4);
    // Nothing waited for the slow reader.
    expect(broadcastMs, "broadcast loop time").to.be.below(30_000);
    // Live heap growth stays far below the 80 MiB an unbounded buffer would hold.
    expect((peak - baseline) / 1024 / 1024, "peak live heap growth in MiB").to.be.below(24);
    tcp.destroy();
  });

  for (const transformer of ["websockets", "engine.io"] as const) {
    it(`drops a reader that stopped reading with Primus's ${transformer} transformer too`, async function () {
      await ts.close();
      ts = await startTestServer({ logger: log.logger, server: { transformer }, limits: { outboundBufferBytes: 256 * 1024 } });
      const slow = await RawClient.open(ts.ws, ts.url, { polling: false });
      let tcp: { pause(): void; destroy(): void } | undefined;
      try {
        expect((await slow.request({ event: "roomAdd", room: "defaultRoom" })).status).to.equal("OK");
        type Tcp = { pause(): void; destroy(): void };
        const socket = (slow.socket as unknown as { socket: { _socket?: Tcp; transport?: { name: string; ws?: { _socket: Tcp } } } }).socket;
        tcp = transformer === "websockets" ? socket._socket : socket.transport?.ws?._socket;
        expect(tcp, "the client's TCP socket").to.not.equal(undefined);
        tcp!.pause();
        // 3000 x 8 KiB = 24 MiB: far past the kernel's socket buffers, then past the limit.
        for (let seq = 0; seq < 3000 && ts.ws.connections.size > 0; seq++) {
          await ts.ws.chatRoom.broadcast({}, "defaultRoom", { seq, pad });
          if (seq % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
        }
        await waitUntil(() => ts.ws.connections.size === 0, 5000, "the slow reader is gone");
        expect(ts.ws.stats().slowConsumerCloses).to.equal(1);
      } finally {
        slow.close();
        // A paused socket never reads the server's close: free it here.
        tcp?.destroy();
      }
    });
  }

  it("drops a reader that went over the limit through direct spark.write calls", async function () {
    const slow = await member(() => undefined);
    const engine = (slow.socket.io as unknown as { engine: { transport: { ws: { _socket: { pause(): void; destroy(): void } } } } }).engine;
    const tcp = engine.transport.ws._socket;
    tcp.pause();
    const [connection] = ts.ws.connections.values();
    const spark = sparkFor(connection)!;
    // Not a broadcast nor a reply: Primus's own write path, 3000 x 8 KiB = 24 MiB at most.
    for (let seq = 0; seq < 3000 && ts.ws.connections.size > 0; seq++) {
      spark.write({ context: "user", message: { seq, pad } });
      if (seq % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitUntil(() => ts.ws.connections.size === 0, 5000, "the slow reader is gone");
    expect(ts.ws.stats().slowConsumerCloses).to.equal(1);
    const lines = log.find(/does not read fast enough/, ["warn"]);
    expect(lines).to.have.length(1);
    expect((lines[0].obj as { queuedBytes: number }).queuedBytes).to.be.above(1024 * 1024);
    tcp.destroy();
  });

  it("an idle server measures no socket; a write is followed by a sweep; a closed socket leaves the sweep", async function () {
    await ts.close();
    ts = await startTestServer({ logger: log.logger, server: { transformer: "websockets" } });
    /** Counts the sweeper's readings of a connection's socket (Primus's websockets
     * transformer: spark.socket is the ws socket, measured by its bufferedAmount). */
    const countReadings = (connection: Connection) => {
      const ws = sparkFor(connection)!.socket as object;
      const getter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(ws), "bufferedAmount")!.get!;
      const counter = { reads: 0 };
      Object.defineProperty(ws, "bufferedAmount", {
        configurable: true,
        get() {
          counter.reads++;
          return getter.call(this) as number;
        },
      });
      return counter;
    };
    const open = async () => {
      const client = await RawClient.open(ts.ws, ts.url, { polling: false });
      return { client, connection: ts.ws.connections.get(await idOf(client))! };
    };
    const a = await open();
    const b = await open();
    try {
      const readsA = countReadings(a.connection);
      const readsB = countReadings(b.connection);
      // The replies above may still have a sweep pending: let it run, then stay idle.
      await sleep(3 * SWEEP_INTERVAL_MS);
      readsA.reads = 0;
      await sleep(6 * SWEEP_INTERVAL_MS);
      expect(readsA.reads, "readings while idle").to.equal(0);

      a.connection.sendMessage({ context: "api", ping: 1 });
      await waitUntil(() => readsA.reads > 0, 2000, "a sweep after the write");
      const afterWrite = readsA.reads;
      await sleep(6 * SWEEP_INTERVAL_MS);
      expect(readsA.reads, "readings once idle again").to.equal(afterWrite);

      a.client.close();
      await waitUntil(() => ts.ws.connections.size === 1, 2000, "the first client is gone");
      const closedReads = readsA.reads;
      const openReads = readsB.reads;
      b.connection.sendMessage({ context: "api", ping: 2 });
      await waitUntil(() => readsB.reads > openReads, 2000, "a sweep after the write to the other client");
      expect(readsA.reads, "readings of the closed socket").to.equal(closedReads);
    } finally {
      a.client.close();
      b.client.close();
    }
  });

  describe("the sweeper", () => {
    const fakeSocket = (queued: () => number) => {
      const socket = { reads: 0, dropped: [] as number[] } as SweptSocket & { reads: number; dropped: number[] };
      socket.measure = () => {
        socket.reads++;
        return queued();
      };
      socket.overLimit = (bytes) => socket.dropped.push(bytes);
      return socket;
    };

    it("sweeps once per burst of writes, never while nothing is written, and drops a socket over the limit once", async function () {
      const sweeper = new OutboundSweeper(1000);
      let queued = 10;
      const socket = fakeSocket(() => queued);
      sweeper.add(socket);
      try {
        await sleep(4 * SWEEP_INTERVAL_MS);
        expect(socket.reads, "readings without writes").to.equal(0);
        for (let i = 0; i < 1000; i++) markWritten();
        await waitUntil(() => socket.reads > 0, 2000, "a sweep after the writes");
        await sleep(4 * SWEEP_INTERVAL_MS);
        expect(socket.reads, "one sweep for a burst of writes").to.equal(1);
        queued = 5000;
        markWritten();
        await waitUntil(() => socket.dropped.length > 0, 2000, "the socket over the limit is dropped");
        expect(socket.dropped).to.deep.equal([5000]);
        expect(sweeper.size).to.equal(0);
        markWritten();
        await sleep(4 * SWEEP_INTERVAL_MS);
        expect(socket.dropped, "dropped once").to.have.length(1);
        expect(socket.reads, "a dropped socket is no longer measured").to.equal(2);
      } finally {
        sweeper.stop();
      }
    });

    it("measures nothing once stopped (its server closed) and takes no new sockets", async function () {
      const sweeper = new OutboundSweeper(1000);
      const before = fakeSocket(() => 0);
      sweeper.add(before);
      sweeper.stop();
      const after = fakeSocket(() => 5000);
      sweeper.add(after);
      expect(sweeper.size).to.equal(0);
      markWritten();
      await sleep(4 * SWEEP_INTERVAL_MS);
      expect([before.reads, after.reads, after.dropped.length]).to.deep.equal([0, 0, 0]);
    });
  });

  it("drops a long-polling client that stopped polling once its queue passes the limit", async function () {
    const base = `${ts.url}/primus/?EIO=4&transport=polling`;
    const open = await httpRequest(base);
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    expect((await httpRequest(`${base}&sid=${sid}`, { method: "POST", body: "40" })).status).to.equal(200);
    await waitUntil(() => ts.ws.connections.size === 1, 2000, "the polling connection is registered");
    const [connection] = ts.ws.connections.values();
    await ts.ws.chatRoom.addMember(connection.id, "defaultRoom");

    let received = 0;
    const reader = await member(() => received++);
    // 200 x 8 KiB = 1.6 MiB queued for a client that never polls again.
    for (let seq = 0; seq < 200; seq++) await ts.ws.chatRoom.broadcast({}, "defaultRoom", { seq, pad });
    await waitUntil(() => received === 200, 10_000, "the websocket member got all 200");
    await waitUntil(() => !ts.ws.connections.has(connection.id), 5000, "the idle poller is dropped");
    expect(ts.ws.stats().slowConsumerCloses).to.equal(1);
    expect((await reader.request({ event: "detailsView" }, "me")).status).to.equal("OK");
    expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).membersCount).to.equal(1);
  });
});
