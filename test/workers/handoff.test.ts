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
import { RawSocketIo } from "../support/raw-socket-io.js";
import { startRunnerWithRedis, type StartedRunner } from "../support/runner.js";

describe("runCluster: a handed connection's later bytes reach the worker", function () {
  this.timeout(120_000);
  let started: StartedRunner | undefined;
  let url: string;

  before(async function () {
    started = await startRunnerWithRedis({ RUNNER_WORKERS: "2", RUNNER_BUSY: "20" }, "handoff", 60_000);
    url = `http://127.0.0.1:${started.port}`;
  });

  after(async () => {
    await started?.stop();
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
