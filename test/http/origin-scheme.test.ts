/**
 * Same origin means same scheme, host and port: an `https:` page, a `ws:` origin or a
 * browser extension on the server's host:port is another origin. Behind a TLS-terminating
 * proxy, `trustProxy` makes X-Forwarded-Proto/-Host describe the server's own origin; off
 * (the default), those headers are ignored.
 */
import { expect } from "chai";
import express from "express";
import https from "node:https";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { actionheroWs, type ActionheroWsOptions } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { request, setCookies } from "../support/http-request.js";
import { selfSignedCertificate } from "../support/self-signed.js";

const handshakePath = "/primus/?EIO=4&transport=polling";

/** A raw websocket upgrade with these headers; resolves with the status code of the answer. */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      const lines = Object.entries({ host: `127.0.0.1:${port}`, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers });
      socket.write(`GET /primus/?EIO=4&transport=websocket HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
    });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status) return;
      socket.destroy();
      resolve(Number(status[1]));
    });
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer to the upgrade within 5000 ms")));
  });
}

describe("origin policy compares the scheme", function () {
  let ts: TestServer;
  const start = async (options: ActionheroWsOptions = {}) => {
    ts = await startTestServer(options);
  };
  afterEach(async () => {
    await ts?.close();
  });

  it("on plain http, https://, ws://, wss:// and chrome-extension:// origins with our host:port are refused", async () => {
    await start();
    const host = `127.0.0.1:${ts.port}`;
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: `http://${host}` } })).status).to.equal(200);
    expect(await upgradeStatus(ts.port, { origin: `http://${host}` })).to.equal(101);
    for (const scheme of ["https", "ws", "wss", "chrome-extension", "file"]) {
      const origin = `${scheme}://${host}`;
      expect((await request(`${ts.url}${handshakePath}`, { headers: { origin } })).status, origin).to.equal(403);
      expect(await upgradeStatus(ts.port, { origin }), origin).to.equal(403);
    }
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: "null" } })).status).to.equal(403);
    expect(ts.ws.stats().originRefused).to.equal(11);
  });

  it("without trustProxy, X-Forwarded-Proto and X-Forwarded-Host are ignored (the default)", async () => {
    await start();
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "app.example" };
    for (const origin of ["https://app.example", `https://127.0.0.1:${ts.port}`]) {
      expect((await request(`${ts.url}${handshakePath}`, { headers: { origin, ...forwarded } })).status, origin).to.equal(403);
      expect(await upgradeStatus(ts.port, { origin, ...forwarded }), origin).to.equal(403);
    }
    // nor does the cookie become Secure because a client says so
    expect(setCookies(await request(`${ts.url}/hello`, { headers: forwarded }))[0]).to.not.include("Secure");
  });

  it("with trustProxy, the forwarded scheme and host are the server's origin, and the cookie is Secure", async () => {
    await start({ trustProxy: true });
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "app.example" };
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: "https://app.example", ...forwarded } })).status).to.equal(200);
    expect(await upgradeStatus(ts.port, { origin: "https://app.example", ...forwarded })).to.equal(101);
    // the default port is the same origin; a proxy chain lists the first proxy's view first
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: "https://app.example:443", "x-forwarded-proto": "https, http", "x-forwarded-host": "APP.example, internal:8080" } })).status).to.equal(200);
    for (const origin of ["http://app.example", "https://app.example:8443", "https://evil.example", `http://127.0.0.1:${ts.port}`]) {
      expect((await request(`${ts.url}${handshakePath}`, { headers: { origin, ...forwarded } })).status, origin).to.equal(403);
    }
    // without forwarded headers it is the plain request's own origin
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: `http://127.0.0.1:${ts.port}` } })).status).to.equal(200);
    expect(setCookies(await request(`${ts.url}/hello`, { headers: forwarded }))[0]).to.match(/; Secure$/);
  });

  it("on https, the https origin is accepted and the http one with the same host:port refused", async () => {
    const tls = selfSignedCertificate();
    const app = express();
    const ws = actionheroWs({ actions: allTestActions, clientJsName: null });
    app.use(ws);
    const server = https.createServer({ key: tls.key, cert: tls.cert }, app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    ws.attach(server);
    const port = (server.address() as AddressInfo).port;
    ts = {
      ws,
      server: server as unknown as TestServer["server"],
      port,
      url: `https://127.0.0.1:${port}`,
      async close() {
        await ws.close({ timeoutMs: 2000 });
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
    await ws.ready();
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: `https://127.0.0.1:${port}` } })).status).to.equal(200);
    expect((await request(`${ts.url}${handshakePath}`, { headers: { origin: `http://127.0.0.1:${port}` } })).status).to.equal(403);
  });
});
