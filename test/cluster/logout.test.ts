/**
 * Logout across nodes: two example servers (example/server.js, two processes) on one real
 * Redis share their sessions (connect-redis) and chat. A user signed in on node A has
 * sockets on A and on B (websocket and long-polling); POST /logout on A ends all of them,
 * through the every-node cluster command behind `ws.connections.bySession(...)`, and
 * nobody else's.
 */
import { expect } from "chai";
import { ExampleServer } from "../support/browser-example-server.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { RawIo } from "../support/raw-io.js";
import { cookieHeader } from "../support/session-app.js";

async function signIn(baseUrl: string, name: string): Promise<string> {
  const res = await fetch(`${baseUrl}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }), signal: AbortSignal.timeout(5000) });
  expect(res.status, `sign-in of ${name}`).to.equal(200);
  return cookieHeader(res);
}

describe("cluster: logout ends a user's sockets on every node", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const nodes: ExampleServer[] = [];
  const clients: RawIo[] = [];

  before(async () => {
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) nodes.push(await ExampleServer.start({ env: { REDIS_URL: redis.url } }));
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) await node.stop("SIGKILL");
    await redis?.stop();
  });

  const open = async (node: ExampleServer, transport: "websocket" | "polling", cookie: string) => {
    const client = await RawIo.open(`http://127.0.0.1:${node.port}`, { transport, extraHeaders: { cookie } });
    clients.push(client);
    return client;
  };

  it("signed in on A, sockets on A and B; POST /logout on A closes all of them; another user's stay", async function () {
    const [a, b] = nodes;
    const url = (node: ExampleServer) => `http://127.0.0.1:${node.port}`;
    const ada = await signIn(url(a), "Ada");
    const grace = await signIn(url(b), "Grace");
    // B accepts Ada's socket: it found her session (signed in on A) in Redis.
    const adaSockets = [await open(a, "websocket", ada), await open(b, "websocket", ada), await open(b, "polling", ada)];
    const graceSockets = [await open(a, "websocket", grace), await open(b, "polling", grace)];
    for (const socket of [...adaSockets, ...graceSockets]) expect((await socket.request({ event: "roomAdd", room: "defaultRoom" }, "join")).status).to.equal("OK");

    const res = await fetch(`${url(a)}/logout`, { method: "POST", headers: { cookie: ada }, signal: AbortSignal.timeout(5000) });
    expect(res.status).to.equal(200);
    await Promise.all(adaSockets.map((socket) => socket.closed(10_000)));
    for (const socket of graceSockets) {
      expect(socket.disconnected).to.equal(false);
      expect((await socket.request({ event: "detailsView" }, "still")).status).to.equal("OK");
    }
    // The session is gone on both nodes: a new socket with Ada's old cookie is refused.
    const again = await RawIo.open(url(b), { transport: "websocket", extraHeaders: { cookie: ada }, noWelcome: true });
    clients.push(again);
    await again.closed(5000);
    expect(again.frames).to.deep.equal([{ context: "api", event: "refused", error: "sign in first" }]);
  });
});
