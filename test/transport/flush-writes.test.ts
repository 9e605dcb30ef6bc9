/**
 * One socket write per engine.io flush (lib/transport/flush-writes.ts): a burst of chat
 * messages queued behind a member's first write reaches its TCP socket as one `writev`, in
 * order. Writes are counted where the server-side socket hands data to the OS (its `_write`
 * and `_writev`, one write syscall each). A user's own `transport.wsEngine` still delivers
 * everything, one write per packet as engine.io writes them.
 */
import { expect } from "chai";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawSocketIo, type Frame } from "../support/raw-socket-io.js";
import type { ActionheroWsOptions } from "../../lib/index.js";

const burst = 20;

/** Counts the OS writes of every socket the server accepts from now on. */
function countWrites(ts: TestServer): { total(): number } {
  const sockets: Array<{ writes: number }> = [];
  ts.server.on("connection", (socket: Socket) => {
    const tally = { writes: 0 };
    sockets.push(tally);
    const stream = socket as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const write = stream._write;
    const writev = stream._writev;
    stream._write = function (this: Socket, ...args: unknown[]) {
      tally.writes++;
      return write.apply(this, args);
    };
    stream._writev = function (this: Socket, ...args: unknown[]) {
      tally.writes++;
      return writev.apply(this, args);
    };
  });
  return { total: () => sockets.reduce((sum, s) => sum + s.writes, 0) };
}

/** A member of defaultRoom gets `burst` server broadcasts sent at once; returns its OS writes. */
async function burstTo(options: ActionheroWsOptions, upgrade = false): Promise<{ writes: number; messages: unknown[] }> {
  const ts = await startTestServer(options);
  const writes = countWrites(ts);
  const member = await RawSocketIo.open(ts.url, upgrade ? "polling" : "websocket", { upgrade });
  try {
    if (upgrade) await upgraded(member);
    const joined = await member.request({ event: "roomAdd", room: "defaultRoom", messageId: "join" });
    expect(joined.status).to.equal("OK");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const mark = member.received.length;
    const before = writes.total();
    await Promise.all(Array.from({ length: burst }, (_, i) => ts.ws.chatRoom.broadcast(null, "defaultRoom", `m${i}`)));
    const isLast = (f: Frame) => f.context === "user" && f.message === `m${burst - 1}`;
    await member.next(isLast, 5000, mark);
    const messages = member.frames.filter((f) => f.context === "user").map((f) => f.message);
    return { writes: writes.total() - before, messages };
  } finally {
    member.close();
    await ts.close();
  }
}

/** Waits until socket.io-client has moved from long-polling to the websocket. */
async function upgraded(member: RawSocketIo): Promise<void> {
  const engine = member.socket.io.engine;
  if (engine.transport.name === "websocket") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no upgrade to websocket within 5 s")), 5000);
    engine.once("upgrade", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("one socket write per engine.io flush", () => {
  const expected = Array.from({ length: burst }, (_, i) => `m${i}`);

  it("sends a burst queued behind a member's first write in one writev, in order", async () => {
    const { writes, messages } = await burstTo({});
    expect(messages).to.deep.equal(expected);
    // the first message goes out alone (the socket was idle), the rest in one flush
    expect(writes).to.be.at.most(3);
  });

  it("does the same for a client that upgraded from long-polling to the websocket", async () => {
    const { writes, messages } = await burstTo({}, true);
    expect(messages).to.deep.equal(expected);
    expect(writes).to.be.at.most(3);
  });

  it("still delivers everything, a write per packet, on a user's own wsEngine", async () => {
    const { writes, messages } = await burstTo({ server: { transport: { wsEngine: WebSocketServer } } });
    expect(messages).to.deep.equal(expected);
    expect(writes).to.be.at.least(burst);
  });
});
