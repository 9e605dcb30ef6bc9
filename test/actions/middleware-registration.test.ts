/**
 * Registering action middleware and actions that list it: malformed definitions throw a
 * TypeError naming the problem; names may be registered after the action (Actionhero loads
 * actions before middleware). And the plain action path stays synchronous without middleware.
 */
import { expect } from "chai";
import { actionheroWs, type ActionDefinition, type ActionMiddleware, type HttpRequester } from "../../lib/index.js";
import { ActionRegistry } from "../../lib/actions/action-registry.js";
import { runActionThen, type ActionOutcome, type ProcessorState } from "../../lib/actions/action-processor.js";

// No HTTP request here: the registry never reads rawConnection.
const requester = { id: "r1", type: "web", fingerprint: "f", remoteIP: "127.0.0.1", remotePort: 1 } as HttpRequester;
const state: ProcessorState = { simultaneousActions: 5, shuttingDown: false, begin() {}, end() {} };
const syncAction: ActionDefinition = { name: "syncAction", run: () => ({ sync: true }) };

describe("actions: middleware registration", () => {
  let registry: ActionRegistry;
  beforeEach(() => {
    registry = new ActionRegistry(100);
    registry.add(syncAction);
  });

  it("a middleware without a name, with an empty one, or not an object is a TypeError", () => {
    const pre = () => undefined;
    for (const bad of [{ preProcessor: pre }, { name: "", preProcessor: pre }, { name: 5, preProcessor: pre }, null, "auth"]) {
      expect(() => registry.addMiddleware(bad as unknown as ActionMiddleware)).to.throw(TypeError, "middleware.name is required");
    }
    expect(registry.middlewareNames()).to.deep.equal([]);
  });

  it("a middleware with neither processor, a processor that is not a function, or a bad priority is a TypeError naming it", () => {
    expect(() => registry.addMiddleware({ name: "empty", global: true })).to.throw(TypeError, 'action middleware "empty" needs a preProcessor or a postProcessor');
    const notFunction = { name: "odd", preProcessor: "yes" } as unknown as ActionMiddleware;
    expect(() => registry.addMiddleware(notFunction)).to.throw(TypeError, 'action middleware "odd": preProcessor must be a function');
    const badPriority = { name: "prio", priority: "5", postProcessor: () => undefined } as unknown as ActionMiddleware;
    expect(() => registry.addMiddleware(badPriority)).to.throw(TypeError, 'action middleware "prio": priority must be a number');
    expect(() => registry.addMiddleware({ name: "nan", priority: NaN, postProcessor: () => undefined })).to.throw(TypeError, "priority must be a number");
    expect(registry.middlewareNames()).to.deep.equal([]);
  });

  it("an action whose `middleware` is not a list of names is a TypeError, from add() and from the actions option", () => {
    const bad = { name: "badList", middleware: "auth", run: () => undefined } as unknown as ActionDefinition;
    expect(() => registry.add(bad)).to.throw(TypeError, 'action "badList": `middleware` must be an array of middleware names');
    expect(() => registry.add({ name: "emptyName", middleware: [""], run: () => undefined })).to.throw(TypeError, "must be an array of middleware names");
    expect(registry.get("badList")).to.equal(undefined);
    expect(() => actionheroWs({ actions: [bad] })).to.throw(TypeError, 'action "badList"');
  });

  it("an action may list middleware not registered yet; its chain names the missing one until it is", () => {
    const action: ActionDefinition = { name: "later", middleware: ["auth"], run: () => undefined };
    registry.add(action);
    expect(registry.hasMiddleware(action)).to.equal(true);
    expect(() => registry.middlewareChain(action)).to.throw('action middleware "auth" (listed by action "later") is not registered');
    const auth: ActionMiddleware = { name: "auth", preProcessor: () => undefined };
    registry.addMiddleware(auth);
    expect(registry.middlewareChain(action).map((m) => m.name)).to.deep.equal(["auth"]);
    // Listed again by name, a global one runs once.
    registry.addMiddleware({ ...auth, global: true });
    expect(registry.middlewareChain(action).map((m) => m.name)).to.deep.equal(["auth"]);
    expect(registry.getMiddleware("auth")).to.include({ name: "auth", global: true, priority: 100 });
  });

  it("adding a name again replaces the middleware, also in the global order", () => {
    registry.addMiddleware({ name: "a", global: true, priority: 5, preProcessor: () => undefined });
    registry.addMiddleware({ name: "b", global: true, priority: 10, preProcessor: () => undefined });
    expect(registry.middlewareChain(syncAction).map((m) => m.name)).to.deep.equal(["a", "b"]);
    registry.addMiddleware({ name: "a", global: true, priority: 20, preProcessor: () => undefined });
    expect(registry.middlewareChain(syncAction).map((m) => m.name)).to.deep.equal(["b", "a"]);
    registry.addMiddleware({ name: "a", global: false, preProcessor: () => undefined });
    expect(registry.middlewareChain(syncAction).map((m) => m.name)).to.deep.equal(["b"]);
    expect(registry.middlewareNames().sort()).to.deep.equal(["a", "b"]);
  });

  it("without middleware a synchronous action completes before runActionThen returns (no promise); with it, later", async () => {
    const run = () => {
      let outcome: ActionOutcome | undefined;
      let calls = 0;
      runActionThen(registry, requester, { action: "syncAction" }, state, (_error, o) => {
        outcome = o;
        calls++;
      });
      return { sync: outcome, calls: () => calls, outcome: () => outcome };
    };
    expect(registry.hasMiddleware(syncAction)).to.equal(false);
    const plain = run();
    expect(plain.sync?.response).to.deep.equal({ sync: true });

    registry.addMiddleware({ name: "note", global: true, postProcessor: (data) => void (data.response.note = true) });
    const withMiddleware = run();
    expect(withMiddleware.sync).to.equal(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(withMiddleware.calls()).to.equal(1);
    expect(withMiddleware.outcome()?.response).to.deep.equal({ sync: true, note: true });

    registry.removeMiddleware("note");
    expect(run().sync?.response).to.deep.equal({ sync: true });
  });
});
