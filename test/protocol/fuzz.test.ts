/**
 * A bounded fuzz run: 3 clients send 1200 random frames each — random JSON values, random
 * objects with random event/params/messageId/room/message, raw strings that are not JSON,
 * deep nesting, long strings up to the size limit — then every client still gets answers,
 * a new client works, and nothing was logged as an error or left unhandled.
 * The seed is printed in failure messages; `FUZZ_SEED=<n>` replays a run.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { unhandled } from "../support/fail-on-unhandled.js";
import { RawIo, recordingLogger, waitUntil } from "../support/raw-io.js";

const FRAMES_PER_CLIENT = 1200;
const MAX_LENGTH = 64 * 1024;

/** mulberry32: small, fast, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Fuzzer {
  constructor(private readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  string(max = 24): string {
    const alphabets = ["abcxyz", "\"\\/\u0000\u001f\n\t", "é€😀\u2028\u2029\ud800", "{}[]:,", "primus::", " "];
    let s = "";
    const length = this.int(max);
    for (let i = 0; i < length; i++) {
      const alphabet = this.pick(alphabets);
      s += alphabet[this.int(alphabet.length)];
    }
    return s;
  }
  value(depth = 0): unknown {
    switch (this.int(depth > 3 ? 6 : 8)) {
      case 0: return null;
      case 1: return this.pick([true, false]);
      case 2: return this.pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, this.rnd() * 1e6]);
      case 3: return this.string();
      case 4: return this.pick(["", "defaultRoom", "__proto__", "constructor", "toString", "say", "action"]);
      case 5: return this.int(2) ? [] : {};
      case 6: return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(5); i > 0; i--) o[this.pick([this.string(8), "action", "room", "message", "event", "params", "messageId", "file"])] = this.value(depth + 1);
        return o;
      }
    }
  }
  /** One Primus-encoded string as a client would send it (or not JSON at all). */
  frame(): string {
    const verbs = ["action", "say", "roomAdd", "roomLeave", "roomView", "detailsView", "documentation", "file", this.string(10), 5, null, ["say"], { event: "say" }];
    const actions = ["randomNumber", "cacheTest", "echoParams", "failing", "validated", "silent", "webOnly", this.string(12), 7, null];
    switch (this.int(10)) {
      case 0:
        return JSON.stringify(this.value());
      case 1:
        return this.string(200); // mostly not JSON
      case 2: {
        const text = JSON.stringify(this.value());
        return text.slice(0, this.int(text.length + 1)); // truncated JSON
      }
      case 3: {
        const depth = 33 + this.int(20_000);
        return this.int(2) ? "[".repeat(depth) + "]".repeat(depth) : `{"event":"say","room":"defaultRoom","message":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
      }
      case 4: {
        const long = "L".repeat(this.int(MAX_LENGTH - 200));
        return JSON.stringify(this.pick([
          { event: "say", room: "defaultRoom", message: long },
          { event: "action", params: { action: "echoParams", anything: long } },
          { event: this.pick(verbs), messageId: long },
          long,
        ]));
      }
      case 5:
        return JSON.stringify(`primus::${this.pick(["ping", "pong", "id", "server", this.string(6)])}::${this.string(6)}`);
      default: {
        const frame: Record<string, unknown> = { event: this.pick(verbs) };
        if (this.int(2)) frame.messageId = this.pick([this.int(1e6), this.string(20), this.value(), undefined]);
        if (this.int(2)) frame.room = this.pick(["defaultRoom", "otherRoom", this.string(30), this.value()]);
        if (this.int(2)) frame.message = this.value();
        if (this.int(2)) frame.file = this.pick(["simple.html", "../outside/secret.txt", this.string(20), this.value()]);
        if (frame.event === "action" || this.int(3) === 0) {
          const params: Record<string, unknown> = { action: this.pick(actions) };
          for (let i = this.int(4); i > 0; i--) params[this.pick(["key", "value", "n", "kind", "anything", "apiVersion", this.string(6)])] = this.value();
          frame.params = this.int(10) ? params : this.value();
        }
        for (let i = this.int(3); i > 0; i--) frame[this.string(6)] = this.value();
        return JSON.stringify(frame);
      }
    }
  }
}

/** Bytes of the websocket message socket.io-client sends for `text`. */
const wireBytes = (text: string) => Buffer.byteLength(`42${JSON.stringify(["message", text])}`);

describe("fuzzing the frame handler", function () {
  this.timeout(60_000);
  let ts: TestServer;
  let log: ReturnType<typeof recordingLogger>;
  const clients: RawIo[] = [];
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

  before(async () => {
    log = recordingLogger();
    // No rate limit here: the point is what each frame does, not the flood.
    ts = await startTestServer({ logger: log.logger, limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 } });
  });
  after(async () => {
    for (const client of clients.splice(0)) client.close();
    await ts.close();
  });

  it(`survives ${3 * FRAMES_PER_CLIENT} random frames from 3 clients and still answers (seed ${seed})`, async function () {
    const unhandledBefore = unhandled.length;
    const fuzz = new Fuzzer(prng(seed));
    for (let i = 0; i < 3; i++) clients.push(await RawIo.open(ts.url, { keep: false }));
    const received = clients.map(() => 0);
    clients.forEach((client, i) => client.onFrame(() => received[i]++));

    let sent = 0;
    for (let round = 0; round < FRAMES_PER_CLIENT; round++) {
      for (const client of clients) {
        let text = fuzz.frame();
        while (wireBytes(text) > MAX_LENGTH) text = fuzz.frame();
        client.sendRaw(text);
        sent++;
      }
      // Bounded pacing: let the server work every 50 rounds.
      if (round % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // Every fuzzing client still works, answered after everything it sent before.
    for (const [i, client] of clients.entries()) {
      const reply = await client.request({ event: "detailsView" }, `after-fuzz-${i}`, 20_000);
      expect(reply.status, `seed ${seed}`).to.equal("OK");
      expect(client.disconnected, `client ${i} still connected (seed ${seed})`).to.equal(false);
    }
    expect(Math.min(...received), `every client got answers (seed ${seed})`).to.be.above(100);

    // A fresh client runs the whole happy path.
    const fresh = await RawIo.open(ts.url);
    clients.push(fresh);
    expect((await fresh.request({ event: "roomAdd", room: "otherRoom" }, 1)).status).to.equal("OK");
    expect((await fresh.request({ event: "say", room: "otherRoom", message: "still fine" }, 2)).status).to.equal("OK");
    expect(typeof (await fresh.request({ event: "action", params: { action: "randomNumber" } }, 3)).randomNumber).to.equal("number");

    await waitUntil(() => ts.ws.stats().actionsInFlight === 0, 5000, "actions settle");
    const stats = ts.ws.stats();
    expect(stats.badFrames, `seed ${seed}`).to.be.above(0);
    expect(stats.connections).to.equal(4);
    expect(sent).to.equal(3 * FRAMES_PER_CLIENT);
    expect(log.records.filter((r) => r.level === "error"), `error records (seed ${seed})`).to.deep.equal([]);
    expect(unhandled.slice(unhandledBefore), `unhandled rejections/exceptions (seed ${seed})`).to.deep.equal([]);
  });
});
