/**
 * Fault #20, the timeout side of `close({ timeoutMs })` (the basic modes are in
 * test/runtime/close.test.ts): in-flight actions are waited for up to the timeout and no longer, new
 * handshakes are refused while it drains, and the app's http server keeps serving.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawIo, httpRequest, sleep, waitUntil } from "../support/raw-io.js";

describe("close({ timeoutMs })", function () {
  let ts: TestServer;
  let client: RawIo | undefined;

  beforeEach(async () => {
    ts = await startTestServer();
    client = await RawIo.open(ts.url);
  });
  afterEach(async () => {
    client?.close();
    await ts.close();
  });

  it("an action slower than timeoutMs does not hold close() beyond the timeout", async function () {
    client!.send({ event: "action", params: { action: "sleepTest", sleepDuration: 1500 }, messageId: "slow" });
    await waitUntil(() => ts.ws.stats().actionsInFlight === 1, 2000, "the action is running");

    const started = Date.now();
    const closing = ts.ws.close({ timeoutMs: 250 });
    expect(ts.ws.close({ timeoutMs: 10_000 }), "idempotent: the same promise").to.equal(closing);
    // While it drains, new sockets are refused.
    const refused = await httpRequest(`${ts.url}/primus/?EIO=4&transport=polling`);
    expect(refused.status).to.equal(503);
    await closing;
    const took = Date.now() - started;
    expect(took, "close() duration in ms").to.be.at.least(240).and.below(1200);

    await client!.closed(2000);
    expect(client!.frames.some((f) => f.messageId === "slow")).to.equal(false);
    expect(ts.ws.connections.size).to.equal(0);
    expect(ts.ws.stats().closing).to.equal(true);
    // The app's server is untouched.
    expect(ts.server.listening).to.equal(true);
    expect(JSON.parse((await httpRequest(`${ts.url}/hello`)).body)).to.deep.equal({ hello: "world" });
    // The abandoned action still finishes quietly (no unhandled rejection, nothing sent).
    await waitUntil(() => ts.ws.stats().actionsInFlight === 0, 3000, "the slow action ends");
  });

  it("an action faster than timeoutMs finishes and its reply is delivered before the socket ends", async function () {
    client!.send({ event: "action", params: { action: "sleepTest", sleepDuration: 200 }, messageId: "quick" });
    await waitUntil(() => ts.ws.stats().actionsInFlight === 1, 2000, "the action is running");
    const started = Date.now();
    await ts.ws.close({ timeoutMs: 5000 });
    const took = Date.now() - started;
    expect(took, "close() duration in ms").to.be.at.least(150).and.below(2000);
    const reply = await client!.next((f) => f.messageId === "quick", 2000);
    expect(reply.sleepDuration).to.equal(200);
    await client!.closed(2000);
    await sleep(10);
    expect(ts.server.listening).to.equal(true);
  });

  it("an action started during the drain is refused with Actionhero's shutdown error", async function () {
    client!.send({ event: "action", params: { action: "sleepTest", sleepDuration: 400 }, messageId: "first" });
    await waitUntil(() => ts.ws.stats().actionsInFlight === 1, 2000, "the first action is running");
    const closing = ts.ws.close({ timeoutMs: 2000 });
    client!.send({ event: "action", params: { action: "randomNumber" }, messageId: "late" });
    const late = await client!.next((f) => f.messageId === "late", 2000);
    expect(late.error).to.equal("the server is shutting down");
    await closing;
    expect((await client!.next((f) => f.messageId === "first", 2000)).sleepDuration).to.equal(400);
  });
});
