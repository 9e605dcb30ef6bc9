/**
 * A connection's `remoteIP` (detailsView, actions, logs) and /api's requester address follow
 * `trustProxy` like the handshake limits do (README, Options): off, a client's own
 * X-Forwarded-For is ignored (Primus's `spark.address` would believe it); on, the last entry
 * (the one our proxy appended) is the client.
 */
import { expect } from "chai";
import { RawClient } from "../support/primus-client.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { request } from "../support/http-request.js";

const loopback = ["127.0.0.1", "::ffff:127.0.0.1", "::1"];
const claimed = { "x-forwarded-for": "6.6.6.6, 10.1.2.3", "x-real-ip": "7.7.7.7", "x-forwarded-port": "4444" };

async function websocketAddress(server: TestServer, polling: boolean): Promise<{ remoteIP: string; remotePort: number }> {
  const client = await RawClient.open(server.ws, server.url, { polling, headers: claimed });
  try {
    const { data } = await client.request({ event: "detailsView" });
    return data as { remoteIP: string; remotePort: number };
  } finally {
    client.close();
  }
}

async function apiAddress(server: TestServer): Promise<string> {
  const reply = await request(`${server.url}/api/randomNumber`, { headers: claimed });
  expect(reply.status).to.equal(200);
  return reply.json<{ requesterInformation: { remoteIP: string } }>().requesterInformation.remoteIP;
}

describe("http: the client's address and trustProxy", function () {
  this.timeout(20_000);

  describe("without trustProxy (the default)", function () {
    let server: TestServer;
    before(async () => (server = await startTestServer()));
    after(async () => server?.close());

    for (const polling of [false, true]) {
      it(`a ${polling ? "long-polling" : "websocket"} connection's remoteIP is its socket's peer, whatever it claims`, async () => {
        const { remoteIP, remotePort } = await websocketAddress(server, polling);
        expect(loopback).to.include(remoteIP);
        expect(remotePort).to.be.a("number").and.not.equal(4444);
      });
    }

    it("/api's requester address is the socket's peer", async () => {
      expect(loopback).to.include(await apiAddress(server));
    });
  });

  describe("with trustProxy", function () {
    let server: TestServer;
    before(async () => (server = await startTestServer({ trustProxy: true })));
    after(async () => server?.close());

    for (const polling of [false, true]) {
      it(`a ${polling ? "long-polling" : "websocket"} connection's remoteIP is the last X-Forwarded-For entry`, async () => {
        expect((await websocketAddress(server, polling)).remoteIP).to.equal("10.1.2.3");
      });
    }

    it("/api's requester address is the last X-Forwarded-For entry", async () => {
      expect(await apiAddress(server)).to.equal("10.1.2.3");
    });
  });
});
