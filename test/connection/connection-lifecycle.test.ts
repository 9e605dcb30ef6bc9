/**
 * A connection's lifecycle (lib/connection/connection-registry.ts): registered and
 * announced before its welcome, which is its first frame; removed and announced once when
 * it ends, whatever ended it; refused while the server closes.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/primus-client.js";
import { idOf, waitFor } from "../support/chat-helpers.js";
import type { Connection } from "../../lib/index.js";

describe("connection lifecycle", function () {
  let ts: TestServer;
  const opened: Connection[] = [];
  const closed: Connection[] = [];

  before(async () => {
    ts = await startTestServer({ welcomeMessage: "hello from the lifecycle test" });
    ts.ws.on("connection", (connection) => opened.push(connection));
    ts.ws.on("disconnection", (connection) => closed.push(connection));
  });
  after(async () => ts?.close());

  it("the welcome is the first frame, and the connection is registered and announced by then", async function () {
    const client = await RawClient.open(ts.ws, ts.url);
    expect(client.frames[0]).to.deep.equal({ welcome: "hello from the lifecycle test", context: "api" });
    const id = await idOf(client);
    expect(ts.ws.connections.get(id)).to.equal(opened.find((c) => c.id === id));
    client.close();
    await waitFor(() => closed.some((c) => c.id === id), 5000, "the disconnection event");
  });

  for (const [how, end] of [
    ["the client closes", (client: RawClient) => client.close()],
    ["the server destroys it", (_client: RawClient, connection: Connection) => void connection.destroy()],
    ["the client sends quit", (client: RawClient) => client.send({ event: "quit" })],
  ] as const) {
    it(`${how}: removed once, announced once, its rooms left`, async function () {
      const client = await RawClient.open(ts.ws, ts.url);
      const id = await idOf(client);
      const connection = ts.ws.connections.get(id)!;
      await client.request({ event: "roomAdd", room: "defaultRoom" });
      end(client, connection);
      await waitFor(() => !ts.ws.connections.has(id), 5000, "the connection to be removed");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(closed.filter((c) => c.id === id)).to.have.length(1);
      expect(connection.destroyed).to.equal(true);
      expect(connection.rooms).to.deep.equal([]);
      expect((await ts.ws.chatRoom.roomStatus("defaultRoom")).members).to.not.have.property(id);
      client.close();
    });
  }

  it("while close() runs, new sockets are not registered, and every open one ends", async function () {
    const own = await startTestServer();
    const client = await RawClient.open(own.ws, own.url);
    const id = await idOf(client);
    const closing = own.close();
    await closing;
    expect(own.ws.connections.size).to.equal(0);
    expect(own.ws.connections.has(id)).to.equal(false);
    expect(own.ws.stats().closing).to.equal(true);
    client.close();
  });
});
