/**
 * Hostile and malformed frames (reliability §2 rows 1, 2, 7, 8, 9, 24) over websocket and
 * forced long-polling, sent through a raw socket.io-client so the server sees them exactly
 * as written. Each one gets a clear error, the connection stays usable, another client on
 * the same server keeps being served, and nothing escapes to the process.
 */
import { expect } from "chai";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import type { ActionDefinition } from "../../lib/index.js";
import { RawSocketIo, type Frame } from "../support/raw-socket-io.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every call of the `spy` action, with what its params looked like inside run(). */
const spyCalls: Array<{ keys: string[]; isAdmin: unknown; inheritsNothing: boolean; polluted: boolean }> = [];
const spy: ActionDefinition = {
  name: "spy",
  inputs: { anything: { required: false } },
  run: ({ params }) => {
    spyCalls.push({
      keys: Object.keys(params),
      isAdmin: (params as Record<string, unknown>).isAdmin,
      // Nothing of Object.prototype is reachable: no toString, constructor or __proto__ accessor.
      inheritsNothing: !(params instanceof Object) && (params as Record<string, unknown>).toString === undefined && (params as Record<string, unknown>).constructor === undefined && !("__proto__" in params),
      polluted: ({} as Record<string, unknown>).isAdmin !== undefined,
    });
    return { ran: true };
  },
};

const frameError = (kind: string) => `Error: frame must be a JSON object with an "event" key (got ${kind})`;
const messageIdError = "Error: messageId must be a number or a string of at most 128 characters";

interface Case {
  name: string;
  raw: string;
  /** Checks the error frame the server answered with. */
  check(reply: Frame): void;
}

function verbErrorOf(reply: Frame, text: string): void {
  expect(reply.status, "status").to.equal(text);
  expect(reply.error, "error").to.equal(text);
  expect(reply.context).to.equal("response");
}

const cases: Case[] = [
  { name: "null", raw: "null", check: (r) => { verbErrorOf(r, frameError("null")); expect(r.messageId).to.match(uuid); } },
  { name: "a number", raw: "42", check: (r) => { verbErrorOf(r, frameError("number")); expect(r.data).to.equal(42); expect(r.messageId).to.match(uuid); } },
  { name: "true", raw: "true", check: (r) => { verbErrorOf(r, frameError("boolean")); expect(r.messageId).to.match(uuid); } },
  { name: "a string", raw: '"x"', check: (r) => { verbErrorOf(r, frameError("string")); expect(r.data).to.equal("x"); expect(r.messageId).to.match(uuid); } },
  { name: "an array", raw: "[]", check: (r) => { verbErrorOf(r, frameError("an array")); expect(r.messageId).to.match(uuid); } },
  { name: "broken JSON", raw: "{bad json", check: (r) => { verbErrorOf(r, "Error: invalid JSON"); expect(r.data).to.deep.equal({}); expect(r.messageId).to.match(uuid); } },
  { name: "an empty string", raw: "", check: (r) => { verbErrorOf(r, "Error: invalid JSON"); expect(r.messageId).to.match(uuid); } },
  { name: "a numeric event", raw: '{"event":5}', check: (r) => { verbErrorOf(r, "Error: verb not found or not allowed (5)"); expect(r.messageId).to.match(uuid); } },
  { name: "a missing event", raw: '{"room":"defaultRoom","messageId":"m0"}', check: (r) => { verbErrorOf(r, "Error: verb not found or not allowed (undefined)"); expect(r.messageId).to.equal("m0"); } },
  { name: "an unknown verb", raw: '{"event":"paramAdd","key":"a","messageId":"m1"}', check: (r) => { verbErrorOf(r, "Error: verb not found or not allowed (paramAdd)"); expect(r.data).to.deep.equal({ key: "a" }); expect(r.messageId).to.equal("m1"); } },
  { name: "a verb named after an Object.prototype method", raw: '{"event":"toString","messageId":"m2"}', check: (r) => { verbErrorOf(r, "Error: verb not found or not allowed (toString)"); expect(r.messageId).to.equal("m2"); } },
  {
    name: "an unknown action",
    raw: '{"event":"action","params":{"action":"nope"},"messageId":"m3"}',
    // action errors carry no "Error: " prefix and no status (protocol §4)
    check: (r) => expect(r).to.deep.equal({ error: "unknown action or invalid apiVersion", context: "response", messageId: "m3" }),
  },
  { name: "params that are not an object", raw: '{"event":"action","params":"spy","messageId":"m4"}', check: (r) => expect(r.error).to.equal("unknown action or invalid apiVersion") },
  { name: "an action name that is an object", raw: '{"event":"action","params":{"action":{"name":"spy"}},"messageId":"m5"}', check: (r) => expect(r.error).to.equal("unknown action or invalid apiVersion") },
  {
    name: "a __proto__ key in params",
    raw: '{"event":"action","params":{"action":"spy","__proto__":{"isAdmin":true}},"messageId":"m6"}',
    check: (r) => { verbErrorOf(r, 'Error: key "__proto__" is not allowed in a frame'); expect(r.messageId).to.equal("m6"); },
  },
  {
    name: "a nested __proto__ key in params",
    raw: '{"event":"action","params":{"action":"spy","anything":{"deep":{"__proto__":{"isAdmin":true}}}},"messageId":"m7"}',
    check: (r) => verbErrorOf(r, 'Error: key "__proto__" is not allowed in a frame'),
  },
  {
    name: "a constructor key in params",
    raw: '{"event":"action","params":{"action":"spy","constructor":{"prototype":{"isAdmin":true}}},"messageId":"m8"}',
    check: (r) => { verbErrorOf(r, 'Error: key "constructor" is not allowed in a frame'); expect(r.messageId).to.equal("m8"); },
  },
  {
    name: "a __proto__ key at the top of a verb frame",
    raw: '{"event":"say","room":"defaultRoom","message":{"__proto__":{"isAdmin":true}},"messageId":"m9"}',
    check: (r) => verbErrorOf(r, 'Error: key "__proto__" is not allowed in a frame'),
  },
  { name: "an object messageId", raw: '{"event":"detailsView","messageId":{"a":1}}', check: (r) => { verbErrorOf(r, messageIdError); expect(r.messageId).to.match(uuid); } },
  { name: "a 10k messageId", raw: JSON.stringify({ event: "detailsView", messageId: "x".repeat(10_000) }), check: (r) => { verbErrorOf(r, messageIdError); expect(r.messageId).to.match(uuid); } },
  { name: "an unknown primus:: control string", raw: '"primus::foo::bar"', check: (r) => { verbErrorOf(r, frameError("string")); expect(r.data).to.equal("primus::foo::bar"); expect(r.messageId).to.match(uuid); } },
  { name: "a room that is not a string", raw: '{"event":"roomAdd","room":{"a":1},"messageId":"m10"}', check: (r) => verbErrorOf(r, "Error: invalid room name: must be a string, got object") },
];

for (const transport of ["websocket", "polling"] as const) {
  describe(`bad frames over ${transport}`, function () {
    let ts: TestServer;
    let a: RawSocketIo;
    let b: RawSocketIo;
    const faults: unknown[] = [];
    const onFault = (error: unknown) => faults.push(error);
    let bystander: { stop(): Promise<{ served: number; failures: string[] }> } | undefined;

    /** Client B keeps calling an action until stopped; every answer must be a success. */
    function keepServing(client: RawSocketIo) {
      let running = true;
      let served = 0;
      const failures: string[] = [];
      const loop = (async () => {
        for (let i = 0; running; i++) {
          try {
            const r = await client.request({ event: "action", params: { action: "randomNumber" }, messageId: `b${i}` }, 3000);
            if (typeof r.randomNumber === "number" && r.error === undefined) served++;
            else failures.push(JSON.stringify(r));
          } catch (error) {
            failures.push(String(error));
          }
          await sleep(30);
        }
      })();
      return {
        async stop() {
          running = false;
          await loop;
          return { served, failures };
        },
      };
    }

    before(async () => {
      process.on("unhandledRejection", onFault);
      process.on("uncaughtException", onFault);
      ts = await startTestServer({ actions: [...allTestActions, spy] });
    });
    after(async () => {
      await ts.close();
      process.off("unhandledRejection", onFault);
      process.off("uncaughtException", onFault);
    });
    beforeEach(async () => {
      a = await RawSocketIo.open(ts.url, transport);
      b = await RawSocketIo.open(ts.url, transport);
      bystander = keepServing(b);
    });
    afterEach(async () => {
      await bystander?.stop();
      a.close();
      b.close();
    });

    /** A's connection still answers, B was served all along, the process saw no fault. */
    async function stillHealthy(): Promise<void> {
      const details = await a.request({ event: "detailsView", messageId: "after" });
      expect(details.status).to.equal("OK");
      expect((details.data as { id: string }).id).to.be.a("string");
      await sleep(100);
      const { served, failures } = await bystander!.stop();
      bystander = undefined;
      expect(failures, "the other client's failures").to.deep.equal([]);
      expect(served, "requests the other client got answered").to.be.above(0);
      expect(faults, "unhandledRejection / uncaughtException").to.deep.equal([]);
      expect(a.disconnected).to.equal(false);
    }

    it("runs on the transport under test", async () => {
      const transports = [...ts.ws.connections.values()].map((c) => c.transport);
      expect(transports).to.deep.equal([transport, transport]);
      await stillHealthy();
    });

    for (const c of cases) {
      it(`answers ${c.name} with a clear error and keeps serving`, async () => {
        const reply = await a.reply(c.raw);
        c.check(reply);
        await stillHealthy();
      });
    }

    it("never runs an action with __proto__ / constructor params, and Object.prototype stays clean", async () => {
      spyCalls.length = 0;
      for (const raw of [
        '{"event":"action","params":{"action":"spy","__proto__":{"isAdmin":true}},"messageId":"p1"}',
        '{"event":"action","params":{"action":"spy","constructor":{"prototype":{"isAdmin":true}}},"messageId":"p2"}',
        '{"event":"action","params":{"action":"spy","anything":{"__proto__":{"isAdmin":true}}},"messageId":"p3"}',
        '{"event":"action","params":{"action":"spy","prototype":{"isAdmin":true}},"messageId":"p4"}',
        '{"__proto__":{"isAdmin":true},"event":"action","params":{"action":"spy"},"messageId":"p5"}',
      ]) {
        const reply = await a.reply(raw);
        expect(reply.error, raw).to.match(/^Error: key "(__proto__|constructor|prototype)" is not allowed in a frame$/);
      }
      expect(spyCalls, "the action must not have run").to.deep.equal([]);
      expect(({} as Record<string, unknown>).isAdmin).to.equal(undefined);
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, "isAdmin")).to.equal(false);
      // The same action with clean params runs, on a params object that inherits nothing.
      const ok = await a.request({ event: "action", params: { action: "spy", anything: "fine" }, messageId: "clean" });
      expect(ok.ran).to.equal(true);
      expect(spyCalls).to.deep.equal([{ keys: ["action", "anything"], isAdmin: undefined, inheritsNothing: true, polluted: false }]);
      await stillHealthy();
    });

    it("answers a bad frame with its own id, never with the id of a request still in flight", async () => {
      const mark = a.received.length;
      a.sendRaw(JSON.stringify({ event: "action", params: { action: "sleepTest", sleepDuration: 300 }, messageId: "slow" }));
      await sleep(50);
      a.sendRaw("null");
      a.sendRaw("{bad json");
      a.sendRaw('"primus::foo::bar"');
      const slow = await a.next((f) => f.messageId === "slow", 5000, mark);
      expect(slow.error).to.equal(undefined);
      expect(slow.sleepDuration).to.equal(300);
      const replies = a.received.slice(mark).filter((f): f is Frame => typeof f === "object" && f !== null && (f as Frame).context === "response");
      expect(replies.map((f) => f.messageId === "slow")).to.deep.equal([false, false, false, true]);
      await stillHealthy();
    });

    it("survives a burst of every bad frame at once", async () => {
      const mark = a.received.length;
      for (const c of cases) a.sendRaw(c.raw);
      const done = await a.request({ event: "detailsView", messageId: "burst-end" });
      expect(done.status).to.equal("OK");
      const responses = a.received.slice(mark).filter((f) => typeof f === "object" && f !== null && (f as Frame).context === "response");
      expect(responses).to.have.length(cases.length + 1);
      await stillHealthy();
    });
  });
}
