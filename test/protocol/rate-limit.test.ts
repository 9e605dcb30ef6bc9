/**
 * The rate limit on the wire, with the default limits (50 per second, burst 100): one
 * burst is answered in full (admitted frames, then "rate limited" for the rest) and the
 * socket stays open; only flooding that goes on for seconds closes it.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawEngineWs, RawIo, floodUntil, sleep, waitUntil, type Frame } from "../support/raw-io.js";

const isResponse = (f: Frame) => f.context === "response";
const isCloseNotice = (f: Frame) => f.context === "api" && f.event === "close";

describe("protocol: rate limit, bursts and floods", function () {
  this.timeout(30_000);
  let ts: TestServer;
  const clients: Array<{ close(): void }> = [];

  beforeEach(async () => {
    ts = await startTestServer();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts.close();
  });

  for (const transport of ["websocket", "polling"] as const) {
    it(`${transport}: a burst of 160 frames at once (an offline queue flushed) is answered in full and the socket stays open`, async function () {
      const client = await RawIo.open(ts.url, { transport });
      clients.push(client);
      // Ids from 1: a messageId of 0 counts as missing (Actionhero's rule) and gets a fresh one.
      for (let i = 1; i <= 160; i++) client.send({ event: "detailsView", messageId: i });
      await waitUntil(() => client.frames.filter(isResponse).length >= 160, 10_000, "160 answers");
      const answers = client.frames.filter(isResponse);
      expect(answers.map((f) => f.messageId).sort((a, b) => Number(a) - Number(b))).to.deep.equal([...Array(160).keys()].map((i) => i + 1));
      const ok = answers.filter((f) => f.status === "OK");
      const limited = answers.filter((f) => f.error === "Error: rate limited");
      expect(ok.length + limited.length).to.equal(160);
      // 100 from the full bucket, plus whatever refilled (one per 20 ms) while the burst arrived.
      expect(ok.length).to.be.within(100, 120);
      for (const frame of limited) expect(frame.retryAfterMs).to.be.a("number").above(0);
      expect(client.frames.some(isCloseNotice)).to.equal(false);
      expect(ts.ws.stats().rateLimitCloses).to.equal(0);
      // Still open and served once a few tokens came back.
      await sleep(300);
      expect((await client.request({ event: "detailsView" }, "after")).status).to.equal("OK");
      expect(client.disconnected).to.equal(false);
    });
  }

  it("websocket: flooding sustained for seconds closes with the notice, then 1008 'rate limited'", async function () {
    const client = await RawEngineWs.open(ts.port);
    clients.push({ close: () => client.terminate() });
    const { ms } = await floodUntil((i) => client.sendPrimus({ event: "detailsView", messageId: i }), () => client.closeCode !== undefined);
    expect(await client.closed(5000)).to.equal(1008);
    expect(client.closeReason).to.equal("rate limited");
    // The server closes only after refusals kept coming for 3 s of its own clock.
    expect(ms).to.be.at.least(2900);
    const notice = client.frames.at(-1)!;
    expect(isCloseNotice(notice), JSON.stringify(notice)).to.equal(true);
    expect(notice).to.deep.include({ reason: "rate limited", code: 1008, reconnect: false });
    expect(client.frames.filter(isResponse).length).to.be.above(100);
    expect(ts.ws.stats().rateLimitCloses).to.equal(1);
  });

  it("polling: flooding sustained for seconds ends with the notice and no reconnect", async function () {
    const client = await RawIo.open(ts.url, { transport: "polling", keep: true });
    clients.push(client);
    await floodUntil((i) => client.send({ event: "detailsView", messageId: i }), () => client.disconnected);
    await client.closed(5000);
    const notice = client.frames.at(-1)!;
    expect(isCloseNotice(notice), JSON.stringify(notice)).to.equal(true);
    // The same notice as the websocket's, code included (polling has no close code of its own).
    expect(notice).to.deep.include({ reason: "rate limited", code: 1008, reconnect: false });
    expect(client.controls).to.include("primus::server::close");
    expect(ts.ws.stats().rateLimitCloses).to.equal(1);
  });
});
