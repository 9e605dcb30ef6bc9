/**
 * Fault #10 (cross-site websocket hijacking): the origin policy on long-polling and on the
 * websocket upgrade — same origin by default, the `origins` allowlist, `"*"` — with 403
 * refusals, a log line naming the origin and the option, and no credentialed CORS for
 * origins the app did not name.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import type { ActionheroWsOptions } from "../../lib/index.js";
import { RawIo, httpRequest, recordingLogger, upgradeStatus } from "../support/raw-io.js";

const evil = "https://evil.example";
const app = "https://app.example";

describe("origin policy", function () {
  let ts: TestServer;
  let log: ReturnType<typeof recordingLogger>;
  const start = async (options: ActionheroWsOptions = {}) => {
    log = recordingLogger();
    ts = await startTestServer({ logger: log.logger, ...options });
  };
  const poll = (origin: string | undefined, method = "GET", extra: Record<string, string> = {}) =>
    httpRequest(`${ts.url}/primus/?EIO=4&transport=polling`, { method, headers: { ...(origin === undefined ? {} : { origin }), ...extra } });

  afterEach(async () => {
    await ts?.close();
  });

  describe("default: same origin only", function () {
    beforeEach(() => start());

    it("accepts a polling handshake from the page's own origin and from non-browser clients", async function () {
      const same = await poll(ts.url);
      expect(same.status).to.equal(200);
      expect(same.body).to.match(/^0\{"sid":/);
      expect(same.headers["access-control-allow-credentials"]).to.equal(undefined);
      const none = await poll(undefined);
      expect(none.status).to.equal(200);
    });

    it("refuses a polling handshake from another origin with 403, no CORS headers, a log line and a count", async function () {
      const refused = await poll(evil);
      expect(refused.status).to.equal(403);
      expect(JSON.parse(refused.body)).to.deep.equal({ error: "origin not allowed" });
      expect(refused.headers["access-control-allow-origin"]).to.equal(undefined);
      expect(refused.headers["access-control-allow-credentials"]).to.equal(undefined);
      const lines = log.find(/evil\.example/, ["warn"]);
      expect(lines).to.have.length(1);
      expect(lines[0].msg).to.include('"origins" option');
      expect((lines[0].obj as { origin: string }).origin).to.equal(evil);
      expect(ts.ws.stats().originRefused).to.equal(1);
    });

    it("refuses a websocket upgrade with a forged Origin (403) and accepts the same origin (101)", async function () {
      const forged = await upgradeStatus(ts.port, evil);
      expect(forged.status).to.equal(403);
      expect(forged.body).to.include("origin not allowed");
      expect((await upgradeStatus(ts.port, ts.url)).status).to.equal(101);
      expect((await upgradeStatus(ts.port, undefined)).status).to.equal(101);
      expect(log.find(/evil\.example/, ["warn"])).to.have.length(1);
      expect(ts.ws.connections.size).to.equal(0);
    });

    it("a socket.io client sending a foreign Origin cannot connect on either transport", async function () {
      for (const transport of ["websocket", "polling"] as const) {
        let error: unknown;
        try {
          const client = await RawIo.open(ts.url, { transport, extraHeaders: { origin: evil } });
          client.close();
        } catch (e) {
          error = e;
        }
        expect(error, transport).to.be.instanceOf(Error);
      }
      expect(ts.ws.connections.size).to.equal(0);
      expect(ts.ws.stats().originRefused).to.equal(2);
    });

    it("refuses handshakes without Origin when allowMissingOrigin is false", async function () {
      await ts.close();
      await start({ allowMissingOrigin: false });
      expect((await poll(undefined)).status).to.equal(403);
      expect((await upgradeStatus(ts.port, undefined)).status).to.equal(403);
      expect((await poll(ts.url)).status).to.equal(200);
    });
  });

  describe("origins allowlist", function () {
    beforeEach(() => start({ origins: [app] }));

    it("answers a listed origin with credentialed CORS on polling and accepts its upgrade", async function () {
      const listed = await poll(app);
      expect(listed.status).to.equal(200);
      expect(listed.headers["access-control-allow-origin"]).to.equal(app);
      expect(listed.headers["access-control-allow-credentials"]).to.equal("true");
      expect(String(listed.headers.vary)).to.match(/origin/i);
      expect((await upgradeStatus(ts.port, app)).status).to.equal(101);
    });

    it("answers the preflight OPTIONS of a listed origin with 204 and the allowed methods and headers", async function () {
      const preflight = await poll(app, "OPTIONS", { "access-control-request-method": "POST", "access-control-request-headers": "content-type" });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers["access-control-allow-origin"]).to.equal(app);
      expect(preflight.headers["access-control-allow-credentials"]).to.equal("true");
      expect(String(preflight.headers["access-control-allow-methods"])).to.include("POST");
      expect(preflight.headers["access-control-allow-headers"]).to.equal("content-type");
      expect(Number(preflight.headers["access-control-max-age"])).to.be.above(0);
    });

    it("refuses an unlisted origin on polling, preflight and upgrade, never with Allow-Credentials", async function () {
      for (const method of ["GET", "OPTIONS"]) {
        const refused = await poll(evil, method, { "access-control-request-method": "POST" });
        expect(refused.status, method).to.equal(403);
        expect(refused.headers["access-control-allow-credentials"], method).to.equal(undefined);
        expect(refused.headers["access-control-allow-origin"], method).to.equal(undefined);
      }
      const upgrade = await upgradeStatus(ts.port, evil);
      expect(upgrade.status).to.equal(403);
      expect(upgrade.headers["access-control-allow-credentials"]).to.equal(undefined);
      expect(ts.ws.stats().originRefused).to.equal(3);
      expect(log.find(/evil\.example/, ["warn"])).to.have.length(3);
    });

    it("lets a listed origin's socket.io client connect and run a request", async function () {
      const client = await RawIo.open(ts.url, { transport: "polling", extraHeaders: { origin: app } });
      try {
        const reply = await client.request({ event: "detailsView" }, "d1");
        expect(reply.status).to.equal("OK");
      } finally {
        client.close();
      }
    });
  });

  describe('origins: "*"', function () {
    beforeEach(() => start({ origins: "*" }));

    it("accepts any origin on polling and upgrade, without Allow-Credentials", async function () {
      const any = await poll(evil);
      expect(any.status).to.equal(200);
      expect(any.headers["access-control-allow-origin"]).to.equal(evil);
      expect(any.headers["access-control-allow-credentials"]).to.equal(undefined);
      const preflight = await poll(evil, "OPTIONS", { "access-control-request-method": "POST" });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers["access-control-allow-credentials"]).to.equal(undefined);
      expect((await upgradeStatus(ts.port, evil)).status).to.equal(101);
      expect(ts.ws.stats().originRefused).to.equal(0);
    });
  });
});
