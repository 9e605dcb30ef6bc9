/**
 * The lean spark initialiser (lib/transport/lean-spark.ts) keeps the Spark API and Primus's
 * extension points: heartbeats keep a live client and count its pongs, plugins that add an
 * initialiser or spark methods still apply, the spark's `id`, `query`, `headers`,
 * `address`, `write`, `end` and events work, `disconnection` is announced once, and
 * nothing reaches `data` after the spark ended. On every transformer.
 */
import { expect } from "chai";
import type Primus from "primus";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { idOf, waitFor } from "../support/chat-helpers.js";
import { sparkFor } from "../support/spark-of.js";

const PING_MS = 200;

for (const transformer of ["socket.io", "websockets", "engine.io"] as const) {
  describe(`lean sparks keep Primus's spark API (${transformer})`, function () {
    let ts: TestServer;
    const disconnections: string[] = [];
    const touched = new Set<string>();

    before(async () => {
      ts = await startTestServer({ server: { transformer, pingInterval: PING_MS } });
      const primus = ts.ws.primus!;
      // A plugin as Primus documents them: an extra initialiser and a spark method.
      primus.plugin("touch", {
        server(server: Primus) {
          const proto = server.Spark.prototype as unknown as { initialise: (this: Primus.Spark) => void; greet(this: Primus.Spark): string };
          proto.initialise = function markTouched(this: Primus.Spark) {
            touched.add(this.id);
          };
          proto.greet = function greet(this: Primus.Spark) {
            return `hello ${this.id}`;
          };
        },
      });
      primus.on("disconnection", (spark: Primus.Spark) => disconnections.push(spark.id));
    });
    after(async () => ts?.close());

    it("runs plugin initialisers and methods, and exposes id, query, headers and address", async function () {
      const client = await RawClient.open(ts.ws, ts.url, { query: "probe=1", headers: { "x-probe": "yes" } });
      const spark = sparkFor(ts.ws.connections.get(await idOf(client))!)!;
      expect(touched.has(spark.id)).to.equal(true);
      expect((spark as unknown as { greet(): string }).greet()).to.equal(`hello ${spark.id}`);
      expect(spark.query).to.include({ probe: "1" });
      expect(spark.headers["x-probe"]).to.equal("yes");
      expect(spark.address.ip).to.match(/127\.0\.0\.1/);
      // No closures per spark: a second spark hears Primus's events through the same functions.
      const other = await RawClient.open(ts.ws, ts.url);
      const otherSpark = sparkFor(ts.ws.connections.get(await idOf(other))!)!;
      for (const event of ["incoming::data", "incoming::pong", "incoming::end", "incoming::error"]) {
        expect(otherSpark.listeners(event)[0], event).to.equal(spark.listeners(event)[0]);
      }
      other.close();
      client.close();
    });

    it("write() reaches the client and data events carry what it sends", async function () {
      const client = await RawClient.open(ts.ws, ts.url);
      const spark = sparkFor(ts.ws.connections.get(await idOf(client))!)!;
      const seen: unknown[] = [];
      spark.on("data", (data: unknown) => seen.push(data));
      spark.write({ context: "api", hello: "from spark.write" });
      await client.next((f) => f.hello === "from spark.write");
      client.send({ event: "detailsView" });
      await waitFor(() => seen.length > 0, 3000, "a data event");
      expect(seen[0]).to.deep.include({ event: "detailsView" });
      client.close();
    });

    it("a client that answers pings stays across several heartbeats; each pong is a heartbeat event", async function () {
      const client = await RawClient.open(ts.ws, ts.url);
      const id = await idOf(client);
      const spark = sparkFor(ts.ws.connections.get(id)!)!;
      let beats = 0;
      spark.on("heartbeat", () => beats++);
      await new Promise((resolve) => setTimeout(resolve, PING_MS * 6));
      expect(ts.ws.connections.has(id)).to.equal(true);
      expect(beats).to.be.at.least(2);
      client.close();
    });

    it("end() closes the client once, announces disconnection once, and later data is dropped", async function () {
      const client = await RawClient.open(ts.ws, ts.url);
      const id = await idOf(client);
      const spark = sparkFor(ts.ws.connections.get(id)!)!;
      const after: unknown[] = [];
      spark.end(undefined, { reconnect: true });
      spark.on("data", (data: unknown) => after.push(data));
      spark.emit("incoming::data", JSON.stringify({ event: "detailsView" }));
      spark.emit("incoming::pong", Date.now());
      spark.end();
      await waitFor(() => !ts.ws.connections.has(id), 3000, "the connection to end");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(disconnections.filter((d) => d === spark.id)).to.have.length(1);
      expect(after).to.deep.equal([]);
      client.close();
    });
  });
}
