/**
 * Every close the server starts (connection.destroy(), `quit`, ws.close() with and without
 * destroyClientsOnShutdown) reaches websocket and polling clients alike as one notice frame
 * with the reason and code, before the close; websockets then close with that code. The
 * generated client emits it as `close` and keeps it in `closeNotice`. Rate-limit closes:
 * test/protocol/rate-limit.test.ts.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawEngineWs, RawIo, type Frame } from "../support/raw-io.js";
import { startClientServer, nextEvent, waitFor, withTimeout, type ClientTestServer } from "../support/node-client.js";

const isCloseNotice = (f: Frame) => f.context === "api" && f.event === "close";

async function idOf(client: RawIo): Promise<string> {
  const reply = await client.request({ event: "detailsView" }, "who");
  return String((reply.data as { id: string }).id);
}

describe("transport: close notices on every transport", function () {
  this.timeout(30_000);

  describe("raw clients", function () {
    let ts: TestServer | undefined;
    const clients: Array<{ close(): void }> = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await ts?.close();
      ts = undefined;
    });

    for (const transport of ["websocket", "polling"] as const) {
      it(`${transport}: connection.destroy() sends {event: "close", reason: "destroyed", code: 1000} before the close`, async function () {
        ts = await startTestServer();
        const client = await RawIo.open(ts.url, { transport });
        clients.push(client);
        const id = await idOf(client);
        await ts.ws.connections.get(id)!.destroy();
        await client.closed(5000);
        const notice = client.frames.at(-1)!;
        expect(isCloseNotice(notice), JSON.stringify(notice)).to.equal(true);
        expect(notice).to.deep.include({ reason: "destroyed", code: 1000, reconnect: false });
        expect(notice.message).to.be.a("string").that.is.not.empty;
        expect(client.controls).to.include("primus::server::close");
      });

      it(`${transport}: the quit verb is answered by a "quit" notice`, async function () {
        ts = await startTestServer();
        const client = await RawIo.open(ts.url, { transport });
        clients.push(client);
        client.send({ event: "quit" });
        await client.closed(5000);
        expect(client.frames.filter(isCloseNotice).map((f) => [f.reason, f.code])).to.deep.equal([["quit", 1000]]);
      });

      for (const destroyClientsOnShutdown of [false, true]) {
        it(`${transport}: ws.close() with destroyClientsOnShutdown ${destroyClientsOnShutdown} sends a "server shutdown" notice (code 1001, reconnect ${!destroyClientsOnShutdown})`, async function () {
          ts = await startTestServer({ destroyClientsOnShutdown });
          const client = await RawIo.open(ts.url, { transport });
          clients.push(client);
          await ts.ws.close({ timeoutMs: 2000 });
          await client.closed(5000);
          const notice = client.frames.find(isCloseNotice);
          expect(notice, JSON.stringify(client.frames.slice(-2))).to.not.equal(undefined);
          expect(notice).to.deep.include({ reason: "server shutdown", code: 1001, reconnect: !destroyClientsOnShutdown });
          expect(client.controls.includes("primus::server::close")).to.equal(destroyClientsOnShutdown);
        });
      }
    }

    it("websocket: the close frame carries the notice's code and reason (destroy and shutdown)", async function () {
      ts = await startTestServer();
      const destroyed = await RawEngineWs.open(ts.port);
      const shut = await RawEngineWs.open(ts.port);
      clients.push({ close: () => destroyed.terminate() }, { close: () => shut.terminate() });
      const [first] = [...ts.ws.connections.values()].sort((a, b) => a.connectedAt - b.connectedAt);
      // Which connection is which does not matter: each is checked against its own notice.
      await first.destroy();
      const gone = await Promise.race([destroyed.closed(5000).then(() => destroyed), shut.closed(5000).then(() => shut)]);
      const other = gone === destroyed ? shut : destroyed;
      expect([gone.closeCode, gone.closeReason]).to.deep.equal([1000, "destroyed"]);
      expect(gone.frames.at(-1)).to.deep.include({ event: "close", reason: "destroyed", code: 1000 });
      await ts.ws.close({ timeoutMs: 2000 });
      expect(await other.closed(5000)).to.equal(1001);
      expect(other.closeReason).to.equal("server shutdown");
      expect(other.frames.at(-1)).to.deep.include({ event: "close", reason: "server shutdown", code: 1001 });
    });
  });

  describe("the generated client", function () {
    let ts: ClientTestServer | undefined;
    afterEach(async () => {
      await ts?.close();
      ts = undefined;
    });

    for (const transports of [["websocket"], ["polling"]]) {
      it(`${transports[0]}: emits "close" with the notice, keeps it in closeNotice, then "disconnected"`, async function () {
        ts = await startClientServer();
        const client = await ts.connect({ transport: { transports, extraHeaders: { cookie: ts.cookie } } });
        const closed = nextEvent<[Frame]>(client, "close");
        const disconnected = nextEvent(client, "disconnected");
        await ts.ws.connections.get(client.id!)!.destroy();
        const [notice] = await closed;
        expect(notice).to.deep.include({ event: "close", reason: "destroyed", code: 1000, reconnect: false });
        await disconnected;
        expect(client.closeNotice).to.deep.equal(notice);
        expect(client.state).to.equal("disconnected");
      });

      it(`${transports[0]}: a shutdown that lets clients reconnect is told as such`, async function () {
        ts = await startClientServer({ destroyClientsOnShutdown: false });
        const client = await ts.connect({ transport: { transports, extraHeaders: { cookie: ts.cookie } }, reconnect: { min: 100, max: 200, retries: 1 } });
        const closed = nextEvent<[Frame]>(client, "close");
        await withTimeout(ts.ws.close({ timeoutMs: 2000 }), 10_000, "ws.close()");
        const [notice] = await closed;
        expect(notice).to.deep.include({ reason: "server shutdown", code: 1001, reconnect: true });
        await waitFor(() => client.state !== "connected", 5000, "the client to notice the close");
      });
    }
  });
});
