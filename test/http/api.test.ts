/**
 * The HTTP side: actions at `apiPath` (the generated client's fallback), body limits and
 * checks, the app's own routes untouched, and the generated client served and written.
 */
import { expect } from "chai";
import express from "express";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";
import { actionheroWs, type ActionheroWs } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { request, type Reply } from "../support/http-request.js";

type ApiBody = Record<string, unknown> & {
  error?: unknown;
  serverInformation?: { serverName: string; requestDuration: number; currentTime: number };
  requesterInformation?: { id: string; fingerprint: string; remoteIP: string; receivedParams: Record<string, unknown> };
};

const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };

function expectJson(reply: Reply, status: number): ApiBody {
  expect(reply.status, reply.body).to.equal(status);
  expect(reply.headers["content-type"]).to.match(/^application\/json/);
  return reply.json<ApiBody>();
}

describe("HTTP api endpoint", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });

  it("GET /api/randomNumber runs the action with Actionhero's web fields", async () => {
    const body = expectJson(await request(`${ts.url}/api/randomNumber`), 200);
    expect(body.randomNumber).to.be.a("number");
    expect(body.stringRandomNumber).to.equal(`Your random number is ${body.randomNumber}`);
    expect(body.error).to.equal(undefined);
    expect(body.serverInformation?.serverName).to.equal("actionhero-ws");
    expect(body.serverInformation?.requestDuration).to.be.a("number");
    expect(body.requesterInformation?.fingerprint).to.match(/^[0-9a-f]{40}$/);
    expect(["127.0.0.1", "::ffff:127.0.0.1"]).to.include(body.requesterInformation?.remoteIP);
    expect(body.requesterInformation?.receivedParams).to.deep.equal({ action: "randomNumber" });
  });

  it("GET /api?action=randomNumber does the same", async () => {
    const body = expectJson(await request(`${ts.url}/api?action=randomNumber`), 200);
    expect(body.randomNumber).to.be.a("number");
  });

  it("POST /api/cacheTest with a JSON body", async () => {
    const reply = await request(`${ts.url}/api/cacheTest`, { method: "POST", headers: json, body: JSON.stringify({ key: "JsonKey", value: "v1" }) });
    expect(expectJson(reply, 200).cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "jsonkey", value: "v1" } });
  });

  it("POST /api/cacheTest with a form body, and ?action= with a JSON body", async () => {
    const reply = await request(`${ts.url}/api/cacheTest`, { method: "POST", headers: form, body: "key=FormKey&value=v+2" });
    expect(expectJson(reply, 200).cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "formkey", value: "v 2" } });
    const viaQuery = await request(`${ts.url}/api?action=cacheTest`, { method: "POST", headers: json, body: JSON.stringify({ key: "q", value: "v3" }) });
    expect(expectJson(viaQuery, 200).cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "q", value: "v3" } });
  });

  it("query parameters are params; the body wins over the query", async () => {
    const reply = await request(`${ts.url}/api/cacheTest?key=fromQuery&value=q`, { method: "POST", headers: json, body: JSON.stringify({ value: "fromBody" }) });
    expect(expectJson(reply, 200).cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "fromquery", value: "fromBody" } });
  });

  it("an unknown action is a 404 with Actionhero's error string", async () => {
    expect(expectJson(await request(`${ts.url}/api/nope`), 404).error).to.equal("unknown action or invalid apiVersion");
    expect(expectJson(await request(`${ts.url}/api`), 404).error).to.equal("unknown action or invalid apiVersion");
    expect(expectJson(await request(`${ts.url}/api?action=toString`), 404).error).to.equal("unknown action or invalid apiVersion");
  });

  it("a missing or invalid param is a 422 with Actionhero's strings", async () => {
    expect(expectJson(await request(`${ts.url}/api/cacheTest`), 422).error).to.equal("key is a required parameter for this action");
    expect(expectJson(await request(`${ts.url}/api/validated?n=-1`), 422).error).to.equal('Input for parameter "n" failed validation!');
  });

  it("an action that throws is a 500 with its message", async () => {
    expect(expectJson(await request(`${ts.url}/api/failing`), 500).error).to.equal("something broke");
  });

  it("an action blocked for websocket still answers HTTP", async () => {
    expect(expectJson(await request(`${ts.url}/api/webOnly`), 200).ok).to.equal(true);
  });

  it("__proto__ / constructor keys are a 400, in a JSON body, a form body or the query", async () => {
    for (const [body, headers] of [
      ['{"action":"echoParams","__proto__":{"isAdmin":true}}', json],
      ['{"anything":{"constructor":{"prototype":{"isAdmin":true}}}}', json],
      ["anything=1&__proto__=x", form],
    ] as const) {
      const reply = await request(`${ts.url}/api/echoParams`, { method: "POST", headers, body });
      expect(expectJson(reply, 400).error, body).to.match(/^key "(__proto__|constructor)" is not allowed in params$/);
    }
    for (const query of ["__proto__=x", "constructor=y", "prototype=z"]) {
      const reply = await request(`${ts.url}/api/echoParams?anything=1&${query}`);
      expect(expectJson(reply, 400).error, query).to.match(/is not allowed in params$/);
    }
    expect(({} as Record<string, unknown>).isAdmin).to.equal(undefined);
    // and clean params still reach the action on a null-prototype object
    const ok = expectJson(await request(`${ts.url}/api/echoParams?anything=1`), 200);
    expect(ok.params).to.deep.equal({ anything: "1", action: "echoParams" });
    expect(ok.prototypePolluted).to.equal(false);
  });

  it("a body over maxLength is a 413", async () => {
    const big = JSON.stringify({ key: "k", value: "x".repeat(70 * 1024) });
    const reply = await request(`${ts.url}/api/cacheTest`, { method: "POST", headers: json, body: big });
    expect(expectJson(reply, 413).error).to.equal(`request body larger than ${64 * 1024} bytes`);
  });

  it("a body that is not a JSON object is a 400", async () => {
    for (const body of ["{not json", "[1,2]", '"str"', "42", "null"]) {
      const reply = await request(`${ts.url}/api/randomNumber`, { method: "POST", headers: json, body });
      expect(expectJson(reply, 400).error, body).to.equal("request body must be a JSON object");
    }
  });

  it("leaves the app's own routes and other methods on /api to the app", async () => {
    expect(expectJson(await request(`${ts.url}/hello`), 200)).to.deep.equal({ hello: "world" });
    const put = await request(`${ts.url}/api/randomNumber`, { method: "PUT" });
    expect(put.status).to.equal(404);
    expect(put.body).to.contain("Cannot PUT /api/randomNumber");
    const other = await request(`${ts.url}/apiary`);
    expect(other.status).to.equal(404);
    expect(other.body).to.contain("Cannot GET /apiary");
  });

  it("does not serve the client when clientJsName is null", async () => {
    const reply = await request(`${ts.url}/public/javascript/ActionheroWebsocketClient.js`);
    expect(reply.status).to.equal(404);
  });
});

describe("HTTP api endpoint behind the app's own body parser", function () {
  let ws: ActionheroWs;
  let server: Server;
  let url: string;
  before(async () => {
    const app = express();
    app.use(express.json());
    ws = actionheroWs({ actions: allTestActions, clientJsName: null });
    app.use(ws);
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    ws.attach(server);
    await ws.ready();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await ws.close({ timeoutMs: 2000 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("uses the parsed body and still refuses __proto__", async () => {
    const ok = await request(`${url}/api/cacheTest`, { method: "POST", headers: json, body: JSON.stringify({ key: "Parsed", value: "p" }) });
    expect(expectJson(ok, 200).cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "parsed", value: "p" } });
    const bad = await request(`${url}/api/echoParams`, { method: "POST", headers: json, body: '{"__proto__":{"isAdmin":true}}' });
    expect(expectJson(bad, 400).error).to.equal('key "__proto__" is not allowed in params');
  });
});

describe("generated client over HTTP", function () {
  let ts: TestServer;
  let publicDir: string;
  before(async () => {
    publicDir = mkdtempSync(join(tmpdir(), "actionhero-ws-public-"));
    ts = await startTestServer({ clientJsName: "ActionheroWebsocketClient", publicDir });
  });
  after(async () => {
    await ts.close();
    rmSync(publicDir, { recursive: true, force: true });
  });

  for (const name of ["ActionheroWebsocketClient.js", "ActionheroWebsocketClient.min.js"]) {
    it(`serves /public/javascript/${name} with an ETag and 304, identical to the file on disk`, async () => {
      const url = `${ts.url}/public/javascript/${name}`;
      const first = await request(url);
      expect(first.status).to.equal(200);
      expect(first.headers["content-type"]).to.equal("application/javascript; charset=utf-8");
      expect(Number(first.headers["content-length"])).to.equal(Buffer.byteLength(first.body));
      const etag = first.headers.etag;
      expect(etag).to.match(/^"[^"]+"$/);
      expect(first.body).to.contain("ActionheroWebsocketClient");
      expect(first.body).to.contain("Primus");
      expect(() => new Script(first.body, { filename: name }), "parses as JavaScript").to.not.throw();
      expect(readFileSync(join(publicDir, "javascript", name), "utf8")).to.equal(first.body);

      const again = await request(url, { headers: { "if-none-match": etag! } });
      expect(again.status).to.equal(304);
      expect(again.body).to.equal("");
      expect(again.headers.etag).to.equal(etag);

      const stale = await request(url, { headers: { "if-none-match": '"something-else"' } });
      expect(stale.status).to.equal(200);
      expect(stale.body).to.equal(first.body);

      const head = await request(url, { method: "HEAD" });
      expect(head.status).to.equal(200);
      expect(head.body).to.equal("");
      expect(head.headers.etag).to.equal(etag);
    });
  }

  it("the .min.js is smaller than the .js and has its own ETag", async () => {
    const full = await request(`${ts.url}/public/javascript/ActionheroWebsocketClient.js`);
    const min = await request(`${ts.url}/public/javascript/ActionheroWebsocketClient.min.js`);
    expect(min.body.length).to.be.below(full.body.length);
    expect(min.headers.etag).to.not.equal(full.headers.etag);
  });

  it("a POST to the client path is left to the app", async () => {
    const reply = await request(`${ts.url}/public/javascript/ActionheroWebsocketClient.js`, { method: "POST" });
    expect(reply.status).to.equal(404);
  });
});

describe("generated client with a custom clientJsName and clientJsPath", function () {
  let ts: TestServer;
  let publicDir: string;
  before(async () => {
    publicDir = mkdtempSync(join(tmpdir(), "actionhero-ws-public-"));
    ts = await startTestServer({ clientJsName: "chatClient", clientJsPath: "js/lib/", publicDir });
  });
  after(async () => {
    await ts.close();
    rmSync(publicDir, { recursive: true, force: true });
  });

  it("serves and writes it under that name only", async () => {
    for (const file of ["chatClient.js", "chatClient.min.js"]) {
      const reply = await request(`${ts.url}/public/js/lib/${file}`);
      expect(reply.status, file).to.equal(200);
      expect(readFileSync(join(publicDir, "js", "lib", file), "utf8")).to.equal(reply.body);
    }
    expect((await request(`${ts.url}/public/javascript/ActionheroWebsocketClient.js`)).status).to.equal(404);
  });
});
