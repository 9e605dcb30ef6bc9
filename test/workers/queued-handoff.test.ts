/**
 * Node sends a worker the next handle only once the worker acknowledged the last one: while
 * the workers are busy, the connections the primary has routed wait in that queue, and until
 * the worker's acknowledgement the primary still holds each one's socket. The primary must
 * not read any of them again meanwhile: what it reads from a socket it handed over is lost
 * (a websocket client's first frame, then its connection waits forever for the answer). In
 * the bench (500 clients opened 50 at a time, 2 workers on 2 cores) one client in a few
 * hundred stalled that way after engine.io's open packet, its `40` never answered.
 *
 * The clients here send their first frame a little after the upgrade request, while the
 * workers (busy) have not yet acknowledged their connections: the frame must reach the
 * worker all the same (ws takes bytes that follow the request head as the socket's first).
 */
import { expect } from "chai";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startRunnerWithRedis, type StartedRunner } from "../support/runner.js";

/** A masked websocket text frame (a zero mask: the payload goes out as it is). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/**
 * Opens a raw websocket to Primus, sends socket.io's connect (`40`) `earlyMs` after the
 * request and resolves with what the server sent once its `40` answer arrives, or with
 * what arrived within `waitMs` if it never does.
 */
function connectEarly(port: number, earlyMs: number, waitMs: number): Promise<{ answered: boolean; received: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answered, received: received.slice(0, 200) });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes('40{"sid"')) done(true);
    });
    socket.on("connect", () => {
      socket.write(
        "GET /primus/?EIO=4&transport=websocket&_objectFrames=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      void sleep(earlyMs).then(() => socket.write(textFrame("40")));
    });
  });
}

describe("runCluster: connections waiting in the queue to their worker", function () {
  this.timeout(120_000);
  let started: StartedRunner | undefined;
  let port: number;

  before(async function () {
    // one worker (every connection queues behind the one before), slow to acknowledge
    started = await startRunnerWithRedis({ RUNNER_WORKERS: "1", RUNNER_WORKER_BUSY: "150" }, "queued");
    port = started.port;
  });

  after(async () => {
    await started?.stop();
  });

  it("passes on what a client sends before its connection reached the worker (no frame read by the primary)", async () => {
    // 3 rounds of 4 clients at once: the first of each goes out at once, the others wait
    const unanswered: string[] = [];
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(Array.from({ length: 4 }, () => connectEarly(port, 50, 10_000)));
      for (const result of results) if (!result.answered) unanswered.push(JSON.stringify(result.received));
    }
    expect(unanswered, `${unanswered.length} of 12 clients' connect never answered`).to.deep.equal([]);
  });
});
