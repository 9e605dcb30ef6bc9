/**
 * Logging: silent by default, `DEBUG=actionhero-ws` prints to stderr, an injected
 * pino-shaped logger receives the records — and message bodies, params and cookies never
 * appear in records above debug, whatever the client does.
 */
import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawEngineWs, RawIo, floodUntil, recordingLogger, waitUntil } from "../support/raw-io.js";
import { runNode, type NodeRun } from "../support/run-node.js";

const childScript = fileURLToPath(new URL("../support/logging-child.js", import.meta.url));

function runChild(env: Record<string, string | undefined>): Promise<NodeRun> {
  const { DEBUG: _dropped, ...base } = process.env;
  return runNode([childScript], { env: { ...base, ...env }, timeoutMs: 10_000 });
}

describe("logging", function () {
  this.timeout(20_000);

  it("prints nothing without DEBUG", async function () {
    const run = await runChild({});
    expect(run.code).to.equal(0);
    expect(run.stdout).to.equal("done 403\n");
    expect(run.stderr).to.equal("");
  });

  for (const flag of ["actionhero-ws", "actionhero-ws:*", "express:*,actionhero-ws"]) {
    it(`DEBUG=${flag} prints to stderr, without bodies or cookies above debug`, async function () {
      const run = await runChild({ DEBUG: flag });
      expect(run.code).to.equal(0);
      expect(run.stderr).to.match(/actionhero-ws warn: .*refused a socket from another origin.*evil\.example/);
      const aboveDebug = run.stderr.split("\n").filter((line) => !line.startsWith("actionhero-ws debug:")).join("\n");
      expect(aboveDebug).to.not.include("COOKIE-SECRET");
      expect(aboveDebug).to.not.include("SAY-SECRET");
    });
  }

  describe("an injected logger", function () {
    let ts: TestServer;
    let log: ReturnType<typeof recordingLogger>;
    const secret = "S3CR3T-9f2c";
    const cookieSecret = "C00KIE-77aa";

    beforeEach(async () => {
      log = recordingLogger();
      ts = await startTestServer({ logger: log.logger, limits: { messagesPerSecond: 20, messageBurst: 20 } });
    });
    afterEach(() => ts.close());

    it("receives records, and a session full of secrets leaves none in info/warn/error records", async function () {
      const headers = { cookie: `sessionID=${cookieSecret}; auth=${cookieSecret}-auth` };
      const client = await RawIo.open(ts.url, { extraHeaders: headers });
      await client.request({ event: "roomAdd", room: "defaultRoom" }, 1);
      await client.request({ event: "say", room: "defaultRoom", message: `say ${secret}` }, 2);
      await client.request({ event: "say", room: "defaultRoom", message: { nested: secret } }, 3);
      await client.request({ event: "action", params: { action: "echoParams", anything: secret } }, 4);
      await client.request({ event: "action", params: { action: "cacheTest", key: secret, value: secret } }, 5);
      await client.request({ event: "action", params: { action: `no-such-${secret}` } }, 6);
      await client.request({ event: `verb-${secret}` }, 7);
      await client.request({ event: "action", params: { action: "failing" }, secretField: secret }, 8);
      await client.request({ event: "roomAdd", room: `room-${secret}` }, 9);
      client.sendRaw(`{"event":"say","room":"defaultRoom","message":"${secret}`); // not JSON
      client.send({ event: "detailsView", messageId: `${secret}`.repeat(20) });
      await waitUntil(() => ts.ws.stats().badFrames >= 2, 2000, "two bad frames");

      // Polling client with the cookie too.
      const poller = await RawIo.open(ts.url, { transport: "polling", extraHeaders: headers });
      await poller.request({ event: "say", room: "defaultRoom", message: secret }, "p").catch(() => undefined);
      poller.close();

      // Warnings that carry details: a frame over maxLength, and a flood close.
      const big = await RawEngineWs.open(ts.port);
      big.sendPrimus({ event: "say", room: "defaultRoom", message: `${secret} `.repeat(8000) });
      await big.closed();
      await floodUntil((i) => client.send({ event: "say", room: "defaultRoom", message: `${secret} flood ${i}` }), () => client.disconnected);
      await client.closed();

      await ts.close();
      const warnings = log.records.filter((r) => r.level === "warn");
      expect(warnings.length, "warnings were logged").to.be.at.least(2);
      expect(log.find(/keeps flooding/)).to.have.length(1);
      expect(log.find(/server\.maxLength/)).to.have.length(1);
      expect(log.find(new RegExp(secret)), "secret in an info/warn/error record").to.deep.equal([]);
      expect(log.find(new RegExp(cookieSecret)), "cookie in an info/warn/error record").to.deep.equal([]);
    });
  });
});
