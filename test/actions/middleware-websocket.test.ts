/**
 * Action middleware over websocket frames: the behaviours Actionhero's own middleware
 * suite checks (global/local, priorities, async, blocking, postProcessors, toRender), plus
 * what a preProcessor sees of the params and of the processor's data.
 */
import { expect } from "chai";
import type { ActionProcessorData } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient, type Frame } from "../support/primus-client.js";
import { mark, middlewareActions, removeAllMiddleware, runs, sleep } from "../support/action-middleware-fixtures.js";

describe("actions: middleware over websocket", function () {
  this.timeout(15_000);
  let ts: TestServer;
  let client: RawClient;
  const priority = 100; // defaultMiddlewarePriority

  before(async () => {
    ts = await startTestServer({ actions: middlewareActions });
    client = await RawClient.open(ts.ws, ts.url);
  });
  after(async () => {
    client.close();
    await ts.close();
  });
  afterEach(() => removeAllMiddleware(ts.ws));

  const run = (params: Frame) => client.request({ event: "action", params });

  describe("preProcessors", () => {
    it("a global preProcessor can add to the response", async () => {
      ts.ws.actions.addMiddleware({ name: "test middleware", global: true, preProcessor: (data) => void (data.response._preProcessorNote = "note") });
      const reply = await run({ action: "randomNumber" });
      expect(reply).to.not.have.property("error");
      expect(reply._preProcessorNote).to.equal("note");
      expect(reply.randomNumber).to.be.a("number");
    });

    it("an async global preProcessor is awaited", async () => {
      ts.ws.actions.addMiddleware({
        name: "test middleware",
        global: true,
        preProcessor: async (data) => {
          await sleep(50);
          data.response._preProcessorNote = "slept";
        },
      });
      const reply = await run({ action: "randomNumber" });
      expect(reply).to.not.have.property("error");
      expect(reply._preProcessorNote).to.equal("slept");
    });

    it("a local preProcessor applies only to the actions listing it", async () => {
      ts.ws.actions.addMiddleware({ name: "local one", preProcessor: (data) => void (data.response._local = "applied") });
      expect(await run({ action: "randomNumber" })).to.not.have.property("_local");
      expect(await run({ action: "guarded" })).to.deep.include({ _local: "applied", ran: true });
    });

    it("can read properties of the action template, and hand values to run through data.session", async () => {
      ts.ws.actions.addMiddleware({
        name: "auth middleware",
        global: true,
        preProcessor: (data) => {
          data.response.authenticatedAction = (data.actionTemplate as { authenticated?: boolean }).authenticated === true;
          data.session.id = "abc123";
        },
      });
      expect((await run({ action: "randomNumber" })).authenticatedAction).to.equal(false);
      const auth = await run({ action: "authAction" });
      expect(auth).to.deep.include({ authenticatedAction: true, thing: "stuff", sessionSeen: { id: "abc123" } });
    });

    it("run in priority order, lower first; no priority means defaultMiddlewarePriority", async () => {
      const note = (value: string, keys: string[]) => (data: ActionProcessorData) => {
        for (const key of keys) data.response[key] = value;
      };
      const all = ["_first", "_early", "_late", "_default"];
      // Added out of order: the sort, not the insertion, decides.
      ts.ws.actions.addMiddleware({ name: "late", global: true, priority: priority + 1, preProcessor: note("late", ["_late"]) });
      ts.ws.actions.addMiddleware({ name: "default", global: true, preProcessor: note("default", ["_late", "_default"]) });
      ts.ws.actions.addMiddleware({ name: "first", global: true, priority: 1, preProcessor: note("first", all) });
      ts.ws.actions.addMiddleware({ name: "early", global: true, priority: priority - 1, preProcessor: note("early", ["_early", "_late", "_default"]) });
      const reply = await run({ action: "randomNumber" });
      expect(reply).to.deep.include({ _first: "first", _early: "early", _default: "default", _late: "late" });
    });

    it("several with the same priority all run, in the order they were added", async () => {
      ts.ws.actions.addMiddleware({ name: "one", global: true, priority: priority - 1, preProcessor: (d) => mark(d, "one") });
      ts.ws.actions.addMiddleware({ name: "two", global: true, priority: priority - 1, preProcessor: (d) => mark(d, "two") });
      expect((await run({ action: "randomNumber" })).trail).to.deep.equal(["one", "two"]);
    });

    it("an action's own middleware runs after the global ones, in the order it lists them", async () => {
      ts.ws.actions.addMiddleware({ name: "local a", priority: 1, preProcessor: (d) => mark(d, "pre a"), postProcessor: (d) => mark(d, "post a") });
      ts.ws.actions.addMiddleware({ name: "local b", priority: 2, preProcessor: (d) => mark(d, "pre b"), postProcessor: (d) => mark(d, "post b") });
      ts.ws.actions.addMiddleware({ name: "global", global: true, priority: 500, preProcessor: (d) => mark(d, "pre g"), postProcessor: (d) => mark(d, "post g") });
      const reply = await run({ action: "ordered" });
      expect(reply.trail).to.deep.equal(["pre g", "pre b", "pre a", "run", "post g", "post b", "post a"]);
    });

    it("a throw blocks the action: the reply carries the error as an action error does", async () => {
      ts.ws.actions.addMiddleware({
        name: "blocker",
        global: true,
        preProcessor: (data) => {
          data.response.before = "kept";
          throw new Error("BLOCKED");
        },
      });
      const before = runs.get("authAction") ?? 0;
      const reply = await run({ action: "authAction" });
      expect(reply).to.deep.include({ error: "BLOCKED", before: "kept", context: "response" });
      expect(reply).to.not.have.property("thing");
      expect(runs.get("authAction") ?? 0).to.equal(before);
      // The same shape as an error thrown by run itself.
      ts.ws.actions.removeMiddleware("blocker");
      expect(await run({ action: "throwsInRun" })).to.deep.include({ error: "run failed", partial: true });
    });

    it("an async rejection, a thrown string and a thrown object block it too", async () => {
      const thrown: unknown[] = ["plain no", { code: 401 }];
      let i = 0;
      ts.ws.actions.addMiddleware({
        name: "blocker",
        global: true,
        preProcessor: async () => {
          await sleep(5);
          if (i === 0) {
            i++;
            throw new Error("async no");
          }
          throw thrown[i++ - 1];
        },
      });
      expect((await run({ action: "randomNumber" })).error).to.equal("async no");
      expect((await run({ action: "randomNumber" })).error).to.equal("plain no");
      expect((await run({ action: "randomNumber" })).error).to.deep.equal({ code: 401 });
      expect(ts.ws.connections.get([...ts.ws.connections.keys()][0])?.pendingActions).to.equal(0);
    });

    it("see the params as received, before the inputs; what they change goes through the inputs", async () => {
      let seen: Record<string, unknown> | undefined;
      ts.ws.actions.addMiddleware({
        name: "params",
        global: true,
        preProcessor: (data) => {
          seen = { ...data.params };
          if (data.params.token !== "secret") throw new Error("bad token");
          data.params.max = String(data.params.max ?? 7); // the formatter makes it a number again
        },
      });
      const reply = await run({ action: "counted", token: "secret", other: 1 });
      expect(seen).to.deep.equal({ action: "counted", apiVersion: 2, token: "secret", other: 1 });
      // Undeclared params are scrubbed after the preProcessors, as in Actionhero.
      expect(reply).to.deep.include({ max: 7, keys: ["action", "apiVersion", "max"], apiVersion: 2 });
      expect((await run({ action: "counted", token: "secret", max: 3 })).max).to.equal(3);
      expect((await run({ action: "counted", token: "wrong" })).error).to.equal("bad token");
    });

    it("a param a preProcessor makes invalid fails the inputs with their own error", async () => {
      ts.ws.actions.addMiddleware({
        name: "params",
        global: true,
        preProcessor: (data) => {
          data.response.note = "from pre";
          data.params.max = -1;
        },
      });
      expect(await run({ action: "counted" })).to.deep.include({ error: "max must be positive", note: "from pre" });
    });

    it("setting toProcess = false skips run and the postProcessors and sends the response", async () => {
      let post = 0;
      ts.ws.actions.addMiddleware({
        name: "short circuit",
        global: true,
        preProcessor: (data) => {
          data.response.cached = true;
          data.toProcess = false;
        },
        postProcessor: () => void post++,
      });
      const before = runs.get("authAction") ?? 0;
      expect(await run({ action: "authAction" })).to.deep.include({ cached: true });
      expect(runs.get("authAction") ?? 0).to.equal(before);
      expect(post).to.equal(0);
    });
  });

  describe("postProcessors", () => {
    it("can add to the response, in priority order", async () => {
      ts.ws.actions.addMiddleware({ name: "late", global: true, priority: priority + 1, postProcessor: (d) => void (d.response._note = "late") });
      ts.ws.actions.addMiddleware({ name: "early", global: true, priority: priority - 1, postProcessor: (d) => void (d.response._note = "early") });
      const reply = await run({ action: "randomNumber" });
      expect(reply._note).to.equal("late");
      expect(reply.randomNumber).to.be.a("number");
    });

    it("see what run put in the response and can replace it", async () => {
      ts.ws.actions.addMiddleware({
        name: "replace",
        global: true,
        postProcessor: async (data) => {
          await sleep(10);
          data.response = { wrapped: { ...data.response } };
        },
      });
      const reply = await run({ action: "authAction" });
      expect(reply.wrapped).to.deep.include({ thing: "stuff" });
      expect(reply).to.not.have.property("thing");
    });

    it("a throw turns the reply into that error, keeping what run put in the response", async () => {
      ts.ws.actions.addMiddleware({
        name: "post fails",
        global: true,
        postProcessor: () => {
          throw new Error("post failed");
        },
      });
      expect(await run({ action: "authAction" })).to.deep.include({ error: "post failed", thing: "stuff" });
    });

    it("setting toRender = false sends nothing; the next frame is answered", async () => {
      ts.ws.actions.addMiddleware({ name: "silence", global: true, postProcessor: (d) => void (d.toRender = false) });
      const from = client.frames.length;
      client.send({ event: "action", params: { action: "randomNumber" }, messageId: "quiet" });
      await sleep(300);
      const next = await client.request({ event: "detailsView", messageId: "after quiet" });
      expect(next.status).to.equal("OK");
      expect(client.after(from, (f) => f.messageId === "quiet")).to.deep.equal([]);
    });

    it("are not run when run threw or the inputs failed", async () => {
      let post = 0;
      ts.ws.actions.addMiddleware({ name: "post", global: true, postProcessor: () => void post++ });
      expect((await run({ action: "throwsInRun" })).error).to.equal("run failed");
      expect((await run({ action: "required" })).error).to.equal("who is a required parameter for this action");
      expect(post).to.equal(0);
      await run({ action: "required", who: "me" });
      expect(post).to.equal(1);
    });
  });

  it("data carries Actionhero's fields; duration and actionStatus are set when the action completes", async () => {
    const captured: ActionProcessorData[] = [];
    const duringPost: unknown[] = [];
    ts.ws.actions.addMiddleware({
      name: "observer",
      global: true,
      preProcessor: async (data) => {
        captured.push(data);
        await sleep(20);
      },
      postProcessor: (data) => void duringPost.push(data.duration, data.actionStatus),
    });
    const started = Date.now();
    await client.request({ event: "action", params: { action: "randomNumber" }, messageId: "observed" });
    await run({ action: "required" });
    const [ok, invalid] = captured;
    const connection = ts.ws.connections.get(ok.connection.id);
    expect(connection?.type).to.equal("websocket");
    expect(ok).to.deep.include({ action: "randomNumber", messageId: "observed", toRender: true, toProcess: true });
    expect(ok.actionTemplate.name).to.equal("randomNumber");
    expect(ok.actionStartTime).to.be.within(started - 1, Date.now());
    expect(ok.response.randomNumber).to.be.a("number");
    expect(duringPost).to.deep.equal([null, null]);
    expect(ok.actionStatus).to.equal("complete");
    expect(ok.duration).to.be.a("number").and.at.least(15);
    expect(invalid.actionStatus).to.equal("missing_params");
  });

  it("removed middleware no longer runs", async () => {
    let calls = 0;
    ts.ws.actions.addMiddleware({ name: "counter", global: true, preProcessor: () => void calls++ });
    await run({ action: "randomNumber" });
    expect(ts.ws.actions.removeMiddleware("counter")).to.equal(true);
    expect(ts.ws.actions.removeMiddleware("counter")).to.equal(false);
    await run({ action: "randomNumber" });
    expect(calls).to.equal(1);
  });
});
