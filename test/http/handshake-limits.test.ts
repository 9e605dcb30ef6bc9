/**
 * Pending polling handshakes are capped per client address (429) and per node (503), and
 * counted in stats(). A handshake stops being pending when its session sends a message,
 * upgrades to a websocket or closes; real clients keep connecting while a flood is refused.
 */
import { expect } from "chai";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawIo } from "../support/raw-io.js";
import type { ActionheroWsOptions } from "../../lib/index.js";
import { request, type Reply } from "../support/http-request.js";

const path = "/primus/?EIO=4&transport=polling";

async function handshake(ts: TestServer, headers: Record<string, string> = {}): Promise<Reply & { sid?: string }> {
  const reply = await request(`${ts.url}${path}`, { headers });
  const sid = reply.status === 200 ? (JSON.parse(reply.body.slice(1)) as { sid: string }).sid : undefined;
  return Object.assign(reply, { sid });
}

/** Sends engine.io packets on a polling session ("40": socket.io CONNECT, "1": close). */
async function post(ts: TestServer, sid: string, packets: string): Promise<void> {
  const reply = await request(`${ts.url}${path}&sid=${sid}`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body: packets });
  expect(reply.status, reply.body).to.equal(200);
}

/** Upgrades a polling session to a websocket (probe, then the upgrade packet); resolves with the open socket. */
function upgrade(ts: TestServer, sid: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${ts.port}/primus/?EIO=4&transport=websocket&sid=${sid}`);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no upgrade within 5000 ms"));
    }, 5000);
    socket.on("open", () => socket.send("2probe"));
    socket.on("message", (data) => {
      if (String(data) !== "3probe") return;
      socket.send("5");
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition(), what).to.equal(true);
}

describe("pending polling handshake limits", function () {
  let ts: TestServer;
  const start = async (options: ActionheroWsOptions) => {
    ts = await startTestServer(options);
  };
  afterEach(async () => {
    await ts?.close();
  });

  it("one address gets 429 with a JSON error and Retry-After past limits.pendingHandshakesPerIp, counted in stats()", async () => {
    await start({ limits: { pendingHandshakesPerIp: 5, pendingHandshakes: 100 } });
    const statuses: number[] = [];
    let refused: Reply | undefined;
    for (let i = 0; i < 30; i++) {
      const reply = await handshake(ts);
      statuses.push(reply.status);
      if (reply.status !== 200) refused = reply;
    }
    expect(statuses.filter((s) => s === 200)).to.have.length(5);
    expect(statuses.filter((s) => s === 429)).to.have.length(25);
    expect(refused!.json()).to.deep.equal({ error: "too many pending handshakes from this address" });
    expect(refused!.headers["retry-after"]).to.equal("5");
    expect(ts.ws.stats()).to.include({ handshakesRefused: 25, pendingHandshakes: 5 });
  });

  it("the node gets 503 past limits.pendingHandshakes, whatever the address (addresses from X-Forwarded-For with trustProxy)", async () => {
    await start({ trustProxy: true, limits: { pendingHandshakesPerIp: 3, pendingHandshakes: 7 } });
    const from = (ip: string) => handshake(ts, { "x-forwarded-for": `198.51.100.77, ${ip}` });
    for (const ip of ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2", "10.0.0.3"]) {
      expect((await from(ip)).status, ip).to.equal(200);
    }
    expect((await from("10.0.0.1")).status).to.equal(429);
    const full = await from("10.0.0.4");
    expect(full.status).to.equal(503);
    expect(full.json()).to.deep.equal({ error: "too many pending handshakes on this server" });
    expect(ts.ws.stats()).to.include({ handshakesRefused: 2, pendingHandshakes: 7 });
  });

  it("a session stops being pending when it sends a message, upgrades or closes", async () => {
    await start({ limits: { pendingHandshakesPerIp: 3, pendingHandshakes: 100 } });
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push((await handshake(ts)).sid!);
    expect((await handshake(ts)).status).to.equal(429);

    await post(ts, sids[0], "40"); // socket.io CONNECT: a real client now
    await until(() => ts.ws.stats().pendingHandshakes === 2, "pending after a message");
    await until(() => ts.ws.connections.size === 1, "the connection that sent CONNECT");
    const socket = await upgrade(ts, sids[1]);
    await until(() => ts.ws.stats().pendingHandshakes === 1, "pending after an upgrade");
    await post(ts, sids[2], "1"); // engine.io close
    await until(() => ts.ws.stats().pendingHandshakes === 0, "pending after a close");
    socket.close();

    expect((await handshake(ts)).status).to.equal(200);
    expect(ts.ws.stats().pendingHandshakes).to.equal(1);
  });

  it("at an address's limit, connected clients keep working, websocket-only clients connect, new polling ones are refused until a slot frees", async () => {
    await start({ limits: { pendingHandshakesPerIp: 4, pendingHandshakes: 100 } });
    const polling = await RawIo.open(ts.url, { transport: "polling" });
    expect((await polling.request({ event: "roomAdd", room: "defaultRoom" }, "m1")).status).to.equal("OK");
    await until(() => ts.ws.stats().pendingHandshakes === 0, "the real polling client is not pending");
    const sids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const flood = await handshake(ts);
      if (flood.sid) sids.push(flood.sid);
    }
    expect(sids).to.have.length(4);
    const websocket = await RawIo.open(ts.url, { transport: "websocket" });
    expect((await websocket.request({ event: "roomAdd", room: "defaultRoom" }, "m2")).status).to.equal("OK");
    expect((await polling.request({ event: "detailsView" }, "m3")).status).to.equal("OK");
    let refused: unknown;
    await RawIo.open(ts.url, { transport: "polling" }).then((c) => c.close(), (error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(Error);
    await post(ts, sids[0], "1");
    await until(() => ts.ws.stats().pendingHandshakes === 3, "a slot freed");
    const late = await RawIo.open(ts.url, { transport: "polling" });
    expect((await late.request({ event: "detailsView" }, "m4")).status).to.equal("OK");
    for (const client of [polling, websocket, late]) client.close();
  });
});
