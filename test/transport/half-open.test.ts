/**
 * Fault #13: half-open connections. A client process killed with SIGKILL, or frozen with
 * SIGSTOP (its socket stays open but nothing answers: a sleeping laptop, a dead NAT
 * entry), loses its connection and its room membership within about 2 x pingInterval:
 * Primus's heartbeat reaps what TCP does not report.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { sleep, waitUntil } from "../support/raw-io.js";

const PING_MS = 200;
const childScript = fileURLToPath(new URL("../support/half-open-child.js", import.meta.url));

describe("half-open connections", function () {
  this.timeout(20_000);
  let ts: TestServer;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    ts = await startTestServer({ server: { pingInterval: PING_MS } });
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    child = undefined;
    await ts.close();
  });

  /** Starts the child client; resolves with its connection id once it is in `room`. */
  async function spawnMember(room: string): Promise<string> {
    child = spawn(process.execPath, [childScript, ts.url, room], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not join within 5000 ms: ${out} ${err}`)), 5000);
      child!.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /joined (\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child!.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before joining: ${err}`));
      });
    });
  }

  const isMember = async (id: string) => id in (await ts.ws.chatRoom.roomStatus("defaultRoom")).members;

  it("a client stays connected across many heartbeats while it answers them", async function () {
    const id = await spawnMember("defaultRoom");
    await sleep(PING_MS * 6);
    expect(ts.ws.connections.has(id)).to.equal(true);
    expect(await isMember(id)).to.equal(true);
  });

  for (const signal of ["SIGKILL", "SIGSTOP"] as const) {
    it(`${signal}: the connection and its membership are gone within 2 x pingInterval`, async function () {
      const id = await spawnMember("defaultRoom");
      expect(ts.ws.connections.has(id)).to.equal(true);
      expect(await isMember(id)).to.equal(true);
      await sleep(PING_MS * 2); // it has been answering pings
      expect(ts.ws.connections.has(id)).to.equal(true);

      child!.kill(signal);
      const elapsed = await waitUntil(async () => !ts.ws.connections.has(id) && !(await isMember(id)), 5000, `${signal}ed client reaped`);
      expect(elapsed, "ms until reaped").to.be.at.most(2 * PING_MS + 800);
      expect(ts.ws.stats().localRooms).to.equal(0);
      expect(ts.ws.stats().connections).to.equal(0);
    });
  }
});
