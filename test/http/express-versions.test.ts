/**
 * Express is a peer dependency (^4.21 || ^5) that lib/ never imports: the key HTTP
 * behaviours run against both majors — the cookie, the generated client, `/api`,
 * attach() and the lazy attach, and a websocket round trip.
 */
import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actionheroWs, type ActionheroWs, type ActionheroWsOptions } from "../../lib/index.js";
import { allTestActions } from "../support/test-actions.js";
import { RawIo } from "../support/raw-io.js";
import { request, setCookies } from "../support/http-request.js";

const require = createRequire(import.meta.url);
const versions = [
  { label: "Express 5", express: express5, version: (require("express/package.json") as { version: string }).version, major: "5." },
  { label: "Express 4", express: express4, version: (require("express4/package.json") as { version: string }).version, major: "4." },
];

async function start(express: typeof express5, attach: boolean, options: ActionheroWsOptions = {}) {
  const app = express();
  const ws: ActionheroWs = actionheroWs({ actions: allTestActions, clientJsName: null, startingChatRooms: { r: {} }, ...options });
  app.use(ws);
  app.get("/hello", (_req, res) => {
    res.json({ hello: "world" });
  });
  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  if (attach) ws.attach(server);
  await ws.ready();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ws,
    url,
    async close() {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

for (const { label, express, version, major } of versions) {
  describe(`with ${label} (${version})`, function () {
    let publicDir: string;
    let app: Awaited<ReturnType<typeof start>>;
    before(async () => {
      expect(version.startsWith(major), `installed ${label}`).to.equal(true);
      publicDir = mkdtempSync(join(tmpdir(), "actionhero-ws-express-"));
      app = await start(express, true, { clientJsName: "ActionheroWebsocketClient", publicDir });
    });
    after(async () => {
      await app.close();
      rmSync(publicDir, { recursive: true, force: true });
    });

    it("sets the fingerprint cookie and leaves the app's routes to the app", async () => {
      const reply = await request(`${app.url}/hello`);
      expect(reply.json()).to.deep.equal({ hello: "world" });
      expect(setCookies(reply)[0]).to.match(/^sessionID=[0-9a-f]{40}; Path=\/; HttpOnly; SameSite=Lax$/);
      expect((await request(`${app.url}/nothing-here`)).status).to.equal(404);
    });

    it("serves the generated client", async () => {
      for (const name of ["ActionheroWebsocketClient.js", "ActionheroWebsocketClient.min.js"]) {
        const reply = await request(`${app.url}/public/javascript/${name}`);
        expect(reply.status, name).to.equal(200);
        expect(reply.body, name).to.contain("ActionheroWebsocketClient");
      }
    });

    it("answers /api, including a malformed path and a POST body", async () => {
      expect((await request(`${app.url}/api/randomNumber`)).json().randomNumber).to.be.a("number");
      const post = await request(`${app.url}/api/cacheTest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "k", value: "v" }) });
      expect(post.status).to.equal(200);
      expect((await request(`${app.url}/api/%E0%A4%A`)).status).to.equal(400);
    });

    it("does a websocket round trip after attach()", async () => {
      const client = await RawIo.open(app.url, { transport: "websocket" });
      expect((await client.request({ event: "roomAdd", room: "r" }, "m1")).status).to.equal("OK");
      expect((await client.request({ event: "action", params: { action: "randomNumber" } }, "m2")).randomNumber).to.be.a("number");
      client.close();
    });

    it("attaches lazily on the first HTTP request, which may be a polling handshake", async () => {
      const lazy = await start(express, false, { logger: { debug() {}, info() {}, warn() {}, error() {} } });
      try {
        expect(lazy.ws.primus).to.equal(undefined);
        const handshake = await request(`${lazy.url}/primus/?EIO=4&transport=polling`);
        expect(handshake.status).to.equal(200);
        expect(handshake.body).to.match(/^0\{"sid":/);
        expect(lazy.ws.primus).to.not.equal(undefined);
        const client = await RawIo.open(lazy.url, { transport: "polling" });
        expect((await client.request({ event: "detailsView" }, "m1")).status).to.equal("OK");
        client.close();
      } finally {
        await lazy.close();
      }
    });
  });
}
