/**
 * The primary hands each connection to a worker after reading its request head. What the
 * client sends after that (a websocket's first frame, right after the 101) belongs to the
 * worker alone: the primary must have stopped reading the socket before handing it over,
 * or a late primary reads those bytes itself and drops them, and the client waits forever
 * for the answer to its first frame. Busy processes (the fixture blocks the primary's and
 * the workers' event loops, as two workers, a load generator and Redis on two cores do)
 * make that window wide: without the fix about half of these clients were never welcomed.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { RunnerProcess } from "../support/runner.js";

describe("runCluster: a handed connection's later bytes reach the worker", function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let publicDir: string;
  let runner: RunnerProcess;
  let url: string;

  before(async function () {
    redis = await startRedisServer();
    publicDir = mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-handoff-"));
    runner = RunnerProcess.start({ RUNNER_REDIS: redis.url, RUNNER_WORKERS: "2", RUNNER_PUBLIC: publicDir, RUNNER_BUSY: "20" });
    const listening = await runner.line((l) => l.event === "listening", 60_000, "listening line");
    url = `http://127.0.0.1:${String(listening.port)}`;
  });

  after(async () => {
    await runner?.kill();
    await redis?.stop();
    if (publicDir) rmSync(publicDir, { recursive: true, force: true });
  });

  it("welcomes every websocket client while the primary and the workers run late (no first frame lost)", async () => {
    // one at a time: a connection handed over at once (none queued before it) is the one the
    // primary could still read when it comes back late
    const failed: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        (await RawSocketIo.open(url, "websocket")).close();
      } catch (error) {
        failed.push(String(error).slice(0, 120));
      }
    }
    expect(failed, `${failed.length} of 20 clients never welcomed`).to.deep.equal([]);
  });
});
