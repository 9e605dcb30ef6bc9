/**
 * A polling request's query is read once (lib/http/engine-request.ts) and the same reading
 * reaches our layers and engine.io: with a repeated `sid`, the session our layers check
 * (session binding, refusal while closing) is the one engine.io serves, the last one.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { request } from "../support/http-request.js";
import { engineQuery } from "../../lib/http/engine-request.js";

describe("http: the engine.io query of a request", function () {
  this.timeout(20_000);
  let ts: TestServer;
  before(async () => (ts = await startTestServer()));
  after(async () => ts?.close());

  it("takes Primus's parse, keeps the last of a repeated key, and hands the same object to engine.io", () => {
    const req: { url: string; query: unknown; _query?: unknown } = { url: "/primus/?sid=a&sid=b&EIO=4", query: { sid: ["a", "b"], EIO: "4", odd: { nested: "x" } } };
    const query = engineQuery(req);
    expect({ ...query }).to.deep.equal({ sid: "b", EIO: "4" });
    expect(req._query).to.equal(query);
    expect(engineQuery(req)).to.equal(query);
    // without Primus's parse (a request that did not come through Primus), the URL is read
    // (a null-prototype record: `__proto__` is a key like any other)
    expect(Object.entries(engineQuery({ url: "/primus/?transport=polling&__proto__=x" }))).to.deep.equal([["transport", "polling"], ["__proto__", "x"]]);
  });

  it("a poll naming two sessions is served for the last one, by our layers and engine.io alike", async () => {
    const handshake = await request(`${ts.url}/primus/?EIO=4&transport=polling`);
    const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
    const connect = await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40", headers: { "content-type": "text/plain" } });
    expect(connect.status).to.equal(200);
    const served = await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=unknown&sid=${sid}`);
    expect(served.status).to.equal(200);
    expect(served.body).to.include("welcome");
    const refused = await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}&sid=unknown`);
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include("Session ID unknown");
    await request(`${ts.url}/primus/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1", headers: { "content-type": "text/plain" } });
  });
});
