/**
 * Every selectable transformer end to end with the Primus Node client (welcome,
 * detailsView, an action, roomAdd + say), what `/primus/spec` reports, and the socket.io
 * transformer serving clients that can only long-poll.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient, sleep } from "../support/primus-client.js";
import { request } from "../support/http-request.js";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { waitFor } from "../support/chat-helpers.js";

const transformers = [
  // spec.transformer: Primus would say "custom" for a transformer given as a constructor;
  // we name ours so /primus/spec tells clients what to load.
  { name: "socket.io", spec: "socket.io", transports: ["websocket", "polling"] },
  { name: "websockets", spec: "websockets", transports: ["websocket"] },
  { name: "engine.io", spec: "engine.io", transports: ["websocket", "polling"] },
] as const;

for (const t of transformers) {
  describe(`transformer "${t.name}"`, function () {
    let ts: TestServer;
    before(async () => {
      ts = await startTestServer({ server: { transformer: t.name } });
    });
    after(async () => {
      await ts.close();
    });

    it("GET /primus/spec reports it with our defaults", async () => {
      const reply = await request(`${ts.url}/primus/spec`);
      expect(reply.status).to.equal(200);
      expect(reply.json()).to.deep.equal({ pingInterval: 25_000, pathname: "/primus", version: "8.0.9", parser: "json", transformer: t.spec });
    });

    it("GET /primus/primus.js serves the client library for it", async () => {
      const reply = await request(`${ts.url}/primus/primus.js`);
      expect(reply.status).to.equal(200);
      expect(reply.headers["content-type"]).to.match(/javascript/);
      expect(reply.body).to.contain("Primus");
      if (t.name === "socket.io") expect(reply.body).to.contain("Socket.IO v4");
    });

    for (const transport of t.transports) {
      const polling = transport === "polling";

      it(`over ${transport}: welcome, detailsView, an action, roomAdd + say`, async () => {
        const a = await RawClient.open(ts.ws, ts.url, { polling });
        const b = await RawClient.open(ts.ws, ts.url, { polling });
        try {
          expect(a.frames[0]).to.deep.equal({ welcome: "Welcome to the actionhero api", context: "api" });
          const details = await a.request({ event: "detailsView", messageId: 1 });
          expect(details.status).to.equal("OK");
          const aId = (details.data as { id: string }).id;
          expect(ts.ws.connections.has(aId)).to.equal(true);
          if (polling) expect(ts.ws.connections.get(aId)!.transport).to.equal("polling");

          const action = await a.request({ event: "action", params: { action: "cacheTest", key: "T", value: t.name }, messageId: "act" });
          expect(action).to.deep.include({ context: "response", messageId: "act" });
          expect(action.cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "t", value: t.name } });
          expect((await a.request({ event: "action", params: { action: "cacheTest" } })).error).to.equal("key is a required parameter for this action");

          expect((await a.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
          expect((await b.request({ event: "roomAdd", room: "defaultRoom" })).data).to.equal(true);
          const mark = b.frames.length;
          expect((await a.request({ event: "say", room: "defaultRoom", message: `hello over ${t.name}` })).status).to.equal("OK");
          const heard = await b.next((f) => f.context === "user", 5000, mark);
          expect(heard).to.deep.include({ message: `hello over ${t.name}`, room: "defaultRoom", from: aId, context: "user" });
          const view = await b.request({ event: "roomView", room: "defaultRoom" });
          expect((view.data as { membersCount: number }).membersCount).to.equal(2);
        } finally {
          a.close();
          b.close();
        }
        for (let i = 0; i < 100 && ts.ws.connections.size > 0; i++) await sleep(20);
        expect(ts.ws.connections.size, "both connections are gone after the clients leave").to.equal(0);
      });
    }
  });
}

describe("socket.io transformer with clients that can only long-poll", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });

  it("answers a bare engine.io polling handshake (no client library) with an open packet", async () => {
    const reply = await request(`${ts.url}/primus/?EIO=4&transport=polling`);
    expect(reply.status).to.equal(200);
    expect(reply.body.startsWith("0{")).to.equal(true);
    const open = JSON.parse(reply.body.slice(1)) as { sid: string; upgrades: string[]; maxPayload: number };
    expect(open.sid).to.be.a("string");
    expect(open.upgrades).to.deep.equal(["websocket"]);
    expect(open.maxPayload).to.equal(64 * 1024);
  });

  it("polling answers are never cached, and old IE gets its XSS header off, on the handshake and on a poll", async () => {
    const ie = { "user-agent": "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko" };
    const handshake = await request(`${ts.url}/primus/?EIO=4&transport=polling`, { headers: ie });
    const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
    const connect = await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40", headers: { ...ie, "content-type": "text/plain" } });
    const poll = await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}`, { headers: ie });
    for (const [name, reply] of Object.entries({ handshake, connect, poll })) {
      expect(reply.status, name).to.equal(200);
      expect(reply.headers["cache-control"], name).to.match(/no-store/);
      expect(reply.headers["x-xss-protection"], name).to.equal("0");
    }
    expect(poll.body, "the poll carries the welcome").to.include("welcome");
    // engine.io's close packet ends the session (the next test counts connections)
    expect((await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1", headers: { "content-type": "text/plain" } })).status).to.equal(200);
    await waitFor(() => ts.ws.connections.size === 0, 5_000, "the session closed");
  });

  it("a raw socket.io-client limited to polling is served and stays on polling", async () => {
    const client = await RawSocketIo.open(ts.url, "polling");
    try {
      const first = await client.request({ event: "detailsView", messageId: "d1" });
      const id = (first.data as { id: string }).id;
      expect(ts.ws.connections.get(id)?.transport).to.equal("polling");
      expect((await client.request({ event: "roomAdd", room: "defaultRoom", messageId: "r1" })).data).to.equal(true);
      const mark = client.received.length;
      expect((await client.request({ event: "say", room: "defaultRoom", message: "polled", messageId: "s1" })).status).to.equal("OK");
      expect((await client.next((f) => f.context === "user", 5000, mark)).message).to.equal("polled");
      for (let i = 0; i < 5; i++) {
        const r = await client.request({ event: "action", params: { action: "randomNumber" }, messageId: `n${i}` });
        expect(r.randomNumber).to.be.a("number");
      }
      await sleep(300);
      expect(ts.ws.connections.get(id)?.transport).to.equal("polling");
      expect(ts.ws.stats().connectionsByTransport).to.deep.equal({ polling: 1 });
    } finally {
      client.close();
    }
  });

  it("the Primus Node client with websockets: false runs on polling alongside a websocket client", async () => {
    const poller = await RawClient.open(ts.ws, ts.url, { polling: true });
    const wsClient = await RawSocketIo.open(ts.url, "websocket");
    try {
      const pid = ((await poller.request({ event: "detailsView" })).data as { id: string }).id;
      const wid = ((await wsClient.request({ event: "detailsView", messageId: 1 })).data as { id: string }).id;
      expect(ts.ws.connections.get(pid)?.transport).to.equal("polling");
      expect(ts.ws.connections.get(wid)?.transport).to.equal("websocket");
      await poller.request({ event: "roomAdd", room: "otherRoom" });
      await wsClient.request({ event: "roomAdd", room: "otherRoom", messageId: 2 });
      const mark = poller.frames.length;
      await wsClient.request({ event: "say", room: "otherRoom", message: "ws to polling", messageId: 3 });
      expect((await poller.next((f) => f.context === "user", 5000, mark)).from).to.equal(wid);
    } finally {
      poller.close();
      wsClient.close();
    }
  });
});
