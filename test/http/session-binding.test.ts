/**
 * A socket session is bound to the fingerprint cookie its handshake carried: another client
 * holding only the victim's engine.io `sid` (it sits in every polling URL) is refused with
 * 403 on polling GET, POST and the websocket upgrade, with or without a cookie of its own,
 * and the victim's session carries on untouched. The real client, polling and upgrading,
 * still works with and without `secret`, and `acceptSessionIdQuery` clients still connect.
 */
import { expect } from "chai";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawIo, httpRequest, recordingLogger, sleep, waitUntil } from "../support/raw-io.js";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { newCookie, startClientServer, type ClientTestServer } from "../support/node-client.js";

/** The HTTP status of a websocket upgrade to `url` with these headers (101 when accepted). */
function upgradeWith(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no answer to the upgrade within 5000 ms"));
    }, 5000);
    const done = (status: number) => {
      clearTimeout(timer);
      socket.terminate();
      resolve(status);
    };
    socket.once("unexpected-response", (_req, res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    socket.once("upgrade", (res) => done(res.statusCode ?? 0));
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function sidOf(client: RawIo): string {
  const engine = (client.socket.io as unknown as { engine: { id: string } }).engine;
  return engine.id;
}

describe("http: a socket session is bound to its handshake's fingerprint cookie", function () {
  this.timeout(30_000);

  for (const secret of [undefined, "s3cret"]) {
    describe(secret ? "with a secret (signed cookie)" : "without a secret", function () {
      let ts: TestServer;
      let log: ReturnType<typeof recordingLogger>;
      const clients: RawIo[] = [];
      beforeEach(async () => {
        log = recordingLogger();
        ts = await startTestServer({ logger: log.logger, ...(secret ? { secret } : {}) });
      });
      afterEach(async () => {
        for (const client of clients.splice(0)) client.close();
        await ts.close();
      });

      it("refuses polling GET, POST and the upgrade that carry the victim's sid without its cookie, and the victim carries on", async function () {
        const cookie = await newCookie(ts.url);
        const victim = await RawIo.open(ts.url, { transport: "polling", extraHeaders: { cookie } });
        clients.push(victim);
        const id = String(((await victim.request({ event: "detailsView" }, "before")).data as { id: string }).id);
        await victim.request({ event: "roomAdd", room: "defaultRoom" }, "join");
        const sid = sidOf(victim);
        const poll = `${ts.url}/primus/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
        const other = await newCookie(ts.url);
        const stolen = `42${JSON.stringify(["message", JSON.stringify({ event: "detailsView", messageId: "stolen" })])}`;

        const attempts: Array<Record<string, string>> = [{}, { cookie: other }, { cookie: "sessionID=" }];
        for (const headers of attempts) {
          const get = await httpRequest(poll, { headers });
          expect(get.status, `GET ${JSON.stringify(headers)}: ${get.body}`).to.equal(403);
          expect(JSON.parse(get.body).error).to.match(/another client/);
          const post = await httpRequest(poll, { method: "POST", headers: { ...headers, "content-type": "text/plain;charset=UTF-8" }, body: stolen });
          expect(post.status, `POST ${JSON.stringify(headers)}: ${post.body}`).to.equal(403);
          const ws = `ws://127.0.0.1:${ts.port}/primus/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`;
          expect(await upgradeWith(ws, headers), `upgrade ${JSON.stringify(headers)}`).to.equal(403);
        }

        // The victim's session is untouched: still polling, still itself, nothing injected.
        await sleep(200);
        expect(victim.disconnected).to.equal(false);
        const after = await victim.request({ event: "detailsView" }, "after");
        expect(after.data).to.deep.include({ id, rooms: ["defaultRoom"] });
        expect(victim.frames.some((f) => f.messageId === "stolen")).to.equal(false);
        expect(ts.ws.connections.size).to.equal(1);
        expect(ts.ws.connections.get(id)!.transport).to.equal("polling");
        expect(log.find(/another client|fingerprint cookie its handshake carried/, ["warn"]).length).to.be.at.least(1);
      });

      it("lets the session's own cookie through (a victim's poll, as the real client sends it)", async function () {
        const cookie = await newCookie(ts.url);
        const victim = await RawIo.open(ts.url, { transport: "polling", extraHeaders: { cookie } });
        clients.push(victim);
        const sid = sidOf(victim);
        // A POST of a message, carrying the cookie: accepted by engine.io ("ok").
        const body = `42${JSON.stringify(["message", JSON.stringify({ event: "detailsView", messageId: "own" })])}`;
        const post = await httpRequest(`${ts.url}/primus/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, {
          method: "POST",
          headers: { cookie: `other=1; ${cookie}`, "content-type": "text/plain;charset=UTF-8" },
          body,
        });
        expect(post.status, post.body).to.equal(200);
        expect((await victim.next((f) => f.messageId === "own")).status).to.equal("OK");
      });

      it("acceptSessionIdQuery: a client naming its fingerprint in the query, without a cookie, still connects over polling", async function () {
        await ts.close();
        ts = await startTestServer({ acceptSessionIdQuery: true, logger: log.logger, ...(secret ? { secret } : {}) });
        const client = await RawSocketIo.open(ts.url, "polling", { query: { sessionID: "from-the-query" } });
        try {
          // Several requests, so several polls of the session go through.
          for (let i = 1; i <= 3; i++) {
            const reply = await client.request({ event: "detailsView", messageId: i });
            expect(reply.data).to.deep.include({ fingerprint: "from-the-query" });
          }
        } finally {
          client.close();
        }
      });
    });
  }

  for (const secret of [undefined, "s3cret"]) {
    describe(`the generated client ${secret ? "with" : "without"} a secret`, function () {
      let ts: ClientTestServer;
      beforeEach(async () => {
        ts = await startClientServer(secret ? { secret } : {});
      });
      afterEach(async () => {
        await ts.close();
      });

      it("polls, upgrades to a websocket and keeps working", async function () {
        const client = await ts.connect();
        const connection = ts.ws.connections.get(client.id!)!;
        await waitUntil(() => connection.transport === "websocket", 10_000, "the upgrade to a websocket");
        expect(client.fingerprint).to.equal(connection.fingerprint);
        expect((await client.roomAdd("defaultRoom")).status).to.equal("OK");
        expect((await client.action<{ randomNumber?: number }>("randomNumber")).randomNumber).to.be.a("number");
      });

      it("polling only: actions and chat over many polls", async function () {
        const client = await ts.connect({ transport: { transports: ["polling"], extraHeaders: { cookie: ts.cookie } } });
        expect(ts.ws.connections.get(client.id!)!.transport).to.equal("polling");
        await client.roomAdd("defaultRoom");
        const heard: unknown[] = [];
        client.on("say", (m) => heard.push(m.message));
        for (let i = 0; i < 5; i++) expect((await client.say("defaultRoom", `m${i}`)).status).to.equal("OK");
        await waitUntil(() => heard.length === 5, 5000, "5 messages back");
      });
    });
  }
});
