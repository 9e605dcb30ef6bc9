/**
 * The fingerprint cookie (spec README §3, reliability §2 row 11): set by the HTTP side with
 * HttpOnly and SameSite=Lax (Secure on https), read back from the socket handshake's Cookie
 * header, signed with `secret`, and the client-asserted `?sessionID=` honoured only when
 * `acceptSessionIdQuery` is on.
 */
import { expect } from "chai";
import express from "express";
import { execFileSync } from "node:child_process";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { actionheroWs, type ActionheroWs, type ActionheroWsOptions } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { RawClient, type Frame } from "../support/primus-client.js";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { request, setCookies } from "../support/http-request.js";
import { cryptoCertificate, selfSignedCertificate, type KeyAndCert } from "../support/self-signed.js";

const plainCookie = /^sessionID=([0-9a-f]{40}); Path=\/; HttpOnly; SameSite=Lax$/;

/** The fingerprint value carried in a Set-Cookie line (URL-decoded). */
function cookieValue(line: string): string {
  const pair = line.split(";")[0];
  return decodeURIComponent(pair.slice(pair.indexOf("=") + 1));
}

async function details(client: { request(frame: Frame & { messageId: string }): Promise<Frame> } | RawClient): Promise<{ id: string; fingerprint: string }> {
  const reply = await (client as RawClient).request({ event: "detailsView", messageId: "details" });
  expect(reply.status).to.equal("OK");
  return reply.data as { id: string; fingerprint: string };
}

/** Opens a Primus client with these options, reads its fingerprint, closes it. */
async function fingerprintOfSocket(ts: TestServer, options: { polling?: boolean; cookie?: string; query?: string }) {
  const client = await RawClient.open(ts.ws, ts.url, options);
  try {
    const d = await details(client);
    expect(ts.ws.connections.get(d.id)?.fingerprint, "server-side connection.fingerprint").to.equal(d.fingerprint);
    if (options.polling) expect(ts.ws.connections.get(d.id)?.transport).to.equal("polling");
    return d;
  } finally {
    client.close();
  }
}

describe("fingerprint cookie (no secret)", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });

  it("a plain HTTP GET sets sessionID with HttpOnly; SameSite=Lax and no Secure", async () => {
    const reply = await request(`${ts.url}/hello`);
    expect(reply.status).to.equal(200);
    expect(reply.json()).to.deep.equal({ hello: "world" });
    const cookies = setCookies(reply);
    expect(cookies).to.have.length(1);
    expect(cookies[0]).to.match(plainCookie);
    expect(cookies[0]).to.not.match(/Secure/i);
  });

  it("every request without the cookie gets a fresh fingerprint", async () => {
    const one = cookieValue(setCookies(await request(`${ts.url}/hello`))[0]);
    const two = cookieValue(setCookies(await request(`${ts.url}/hello`))[0]);
    expect(one).to.not.equal(two);
  });

  it("does not set the cookie again when the request carries it, and /api sees the same fingerprint", async () => {
    const fp = cookieValue(setCookies(await request(`${ts.url}/hello`))[0]);
    const again = await request(`${ts.url}/hello`, { headers: { cookie: `other=1; sessionID=${fp}; more=2` } });
    expect(again.status).to.equal(200);
    expect(again.headers["set-cookie"]).to.equal(undefined);
    const api = await request(`${ts.url}/api/randomNumber`, { headers: { cookie: `sessionID=${fp}` } });
    expect(api.status).to.equal(200);
    expect(api.headers["set-cookie"]).to.equal(undefined);
    expect(api.json<{ requesterInformation: { fingerprint: string } }>().requesterInformation.fingerprint).to.equal(fp);
  });

  for (const polling of [false, true]) {
    const transport = polling ? "polling" : "websocket";

    it(`a ${transport} socket opened with that cookie has the same fingerprint`, async () => {
      const fp = cookieValue(setCookies(await request(`${ts.url}/hello`))[0]);
      const d = await fingerprintOfSocket(ts, { polling, cookie: `other=1; sessionID=${fp}` });
      expect(d.fingerprint).to.equal(fp);
      expect(d.id).to.not.equal(fp);
    });

    it(`a ${transport} socket without the cookie has its connection id as fingerprint`, async () => {
      const d = await fingerprintOfSocket(ts, { polling });
      expect(d.fingerprint).to.equal(d.id);
    });

    it(`ignores a spoofed ?sessionID=victim on a ${transport} socket by default`, async () => {
      const bare = await fingerprintOfSocket(ts, { polling, query: "sessionID=victim" });
      expect(bare.fingerprint).to.equal(bare.id);
      const fp = cookieValue(setCookies(await request(`${ts.url}/hello`))[0]);
      const withCookie = await fingerprintOfSocket(ts, { polling, cookie: `sessionID=${fp}`, query: "sessionID=victim" });
      expect(withCookie.fingerprint).to.equal(fp);
    });
  }
});

describe("fingerprint with acceptSessionIdQuery: true (Actionhero compatibility)", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ acceptSessionIdQuery: true });
  });
  after(async () => {
    await ts.close();
  });

  for (const polling of [false, true]) {
    it(`honours ?sessionID= over ${polling ? "polling" : "websocket"}, before the cookie`, async () => {
      expect((await fingerprintOfSocket(ts, { polling, query: "sessionID=victim" })).fingerprint).to.equal("victim");
      expect((await fingerprintOfSocket(ts, { polling, query: "sessionID=dummyValue", cookie: "sessionID=fromCookie" })).fingerprint).to.equal("dummyValue");
      // without the query value the cookie still counts
      expect((await fingerprintOfSocket(ts, { polling, cookie: "sessionID=fromCookie" })).fingerprint).to.equal("fromCookie");
    });
  }
});

describe("fingerprint with secret (signed cookie)", function () {
  let ts: TestServer;
  const secret = "test-secret-please-change";
  before(async () => {
    ts = await startTestServer({ secret });
  });
  after(async () => {
    await ts.close();
  });

  async function signedCookie(): Promise<{ line: string; signed: string; fp: string }> {
    const line = setCookies(await request(`${ts.url}/hello`))[0];
    const signed = cookieValue(line);
    const match = /^s:([0-9a-f]{40})\.[A-Za-z0-9+/]+$/.exec(signed);
    expect(match, `signed value ${signed}`).to.not.equal(null);
    return { line, signed, fp: match![1] };
  }

  it("sets a signed cookie (s:<value>.<hmac>) with HttpOnly; SameSite=Lax", async () => {
    const { line } = await signedCookie();
    expect(line).to.match(/^sessionID=s%3A[0-9a-f]{40}\.[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  for (const polling of [false, true]) {
    const transport = polling ? "polling" : "websocket";

    it(`a ${transport} socket with the signed cookie gets the unsigned value; HTTP agrees`, async () => {
      const { signed, fp } = await signedCookie();
      const cookie = `sessionID=${encodeURIComponent(signed)}`;
      expect((await fingerprintOfSocket(ts, { polling, cookie })).fingerprint).to.equal(fp);
      const api = await request(`${ts.url}/api/randomNumber`, { headers: { cookie } });
      expect(api.headers["set-cookie"], "a valid signed cookie is not re-set").to.equal(undefined);
      expect(api.json<{ requesterInformation: { fingerprint: string } }>().requesterInformation.fingerprint).to.equal(fp);
    });

    it(`a tampered signature on a ${transport} socket gives a fingerprint equal to the connection id`, async () => {
      const { signed, fp } = await signedCookie();
      const last = signed.slice(-1);
      const tampered = signed.slice(0, -1) + (last === "A" ? "B" : "A");
      const d = await fingerprintOfSocket(ts, { polling, cookie: `sessionID=${encodeURIComponent(tampered)}` });
      expect(d.fingerprint).to.equal(d.id);
      expect(d.fingerprint).to.not.equal(fp);
      // someone else's value with a forged signature, and an unsigned value, count for nothing
      const forged = `s:${"b".repeat(40)}.${signed.split(".")[1]}`;
      const d2 = await fingerprintOfSocket(ts, { polling, cookie: `sessionID=${encodeURIComponent(forged)}` });
      expect(d2.fingerprint).to.equal(d2.id);
      const d3 = await fingerprintOfSocket(ts, { polling, cookie: "sessionID=victim" });
      expect(d3.fingerprint).to.equal(d3.id);
    });
  }

  it("over HTTP a tampered or unsigned cookie is replaced by a fresh signed one", async () => {
    const { signed, fp } = await signedCookie();
    for (const bad of [signed.slice(0, -2) + "xx", fp]) {
      const reply = await request(`${ts.url}/hello`, { headers: { cookie: `sessionID=${encodeURIComponent(bad)}` } });
      const lines = setCookies(reply);
      expect(lines, `cookie ${bad}`).to.have.length(1);
      expect(cookieValue(lines[0])).to.match(/^s:[0-9a-f]{40}\./);
      expect(cookieValue(lines[0])).to.not.contain(fp);
    }
  });
});

/** An Express app with actionheroWs on an https server at 127.0.0.1:<free port>. */
async function startHttpsServer(tls: KeyAndCert, options: ActionheroWsOptions = {}) {
  const app = express();
  const ws: ActionheroWs = actionheroWs({ actions: allTestActions, clientJsName: null, ...options });
  app.use(ws);
  app.get("/hello", (_req, res) => {
    res.json({ hello: "world" });
  });
  const server = https.createServer({ key: tls.key, cert: tls.cert }, app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  ws.attach(server);
  await ws.ready();
  return {
    ws,
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("fingerprint cookie on https", function () {
  let tls: KeyAndCert;
  let hs: Awaited<ReturnType<typeof startHttpsServer>>;
  before(async () => {
    tls = selfSignedCertificate();
    hs = await startHttpsServer(tls);
  });
  after(async () => {
    await hs.close();
  });

  it("made its certificate with the openssl CLI when it is on PATH, else with node:crypto", () => {
    let hasOpenssl = true;
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore", timeout: 5000 });
    } catch {
      hasOpenssl = false;
    }
    expect(tls.via).to.equal(hasOpenssl ? "openssl" : "node:crypto");
  });

  it("sets the cookie with Secure as well", async () => {
    const reply = await request(`${hs.url}/hello`);
    expect(reply.status).to.equal(200);
    const [line] = setCookies(reply);
    expect(line).to.match(/^sessionID=[0-9a-f]{40}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  });

  for (const transport of ["websocket", "polling"] as const) {
    it(`a ${transport} socket over TLS with that cookie has the same fingerprint`, async () => {
      const fp = cookieValue(setCookies(await request(`${hs.url}/hello`))[0]);
      const client = await RawSocketIo.open(hs.url, transport, { extraHeaders: { cookie: `sessionID=${fp}` }, rejectUnauthorized: false });
      try {
        const d = await details(client);
        expect(d.fingerprint).to.equal(fp);
        expect(hs.ws.connections.get(d.id)?.transport).to.equal(transport);
      } finally {
        client.close();
      }
    });
  }

  it("also works with the certificate built by node:crypto (the fallback when openssl is missing)", async () => {
    const fallback = await startHttpsServer(cryptoCertificate());
    try {
      const [line] = setCookies(await request(`${fallback.url}/hello`));
      expect(line).to.match(/; Secure$/);
    } finally {
      await fallback.close();
    }
  });
});
