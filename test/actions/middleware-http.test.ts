/**
 * Action middleware for HTTP `/api` requests and for the real generated client: the same
 * middleware answers both, and `defaultMiddlewarePriority` orders middleware naming none.
 */
import { expect } from "chai";
import type { ActionProcessorData } from "../../lib/index.js";
import { request } from "../support/http-request.js";
import { startClientServer, withTimeout, type Client, type ClientTestServer } from "../support/node-client.js";
import { mark, middlewareActions, removeAllMiddleware, runs } from "../support/action-middleware-fixtures.js";

type Body = Record<string, unknown> & { requesterInformation?: { receivedParams: Record<string, unknown> } };
const json = { "content-type": "application/json" };

describe("actions: middleware over /api and the generated client", function () {
  this.timeout(20_000);
  let ts: ClientTestServer;
  let client: Client;

  before(async () => {
    ts = await startClientServer({ actions: middlewareActions, defaultMiddlewarePriority: 10 });
    client = await ts.connect();
  });
  after(async () => {
    await ts?.close();
  });
  afterEach(() => removeAllMiddleware(ts.ws));

  const api = async (path: string, body?: Record<string, unknown>) => {
    const reply = await request(`${ts.url}/api/${path}`, body ? { method: "POST", headers: json, body: JSON.stringify(body) } : {});
    return { status: reply.status, body: reply.body ? reply.json<Body>() : undefined };
  };
  /** The generated client's callback API: resolves with the reply (errors included). */
  const viaClient = (action: string, params: Record<string, unknown> = {}) =>
    withTimeout(new Promise<Record<string, unknown>>((resolve) => client.action(action, params, (r) => resolve(r as Record<string, unknown>))), 5_000, action);

  it("a global preProcessor that throws blocks the action on both sides, with the same error", async () => {
    ts.ws.actions.addMiddleware({
      name: "auth",
      global: true,
      preProcessor: (data) => {
        if (data.params.token !== "letmein") throw new Error("not authenticated");
        data.session.user = "ann";
      },
    });
    const before = runs.get("authAction") ?? 0;
    const refused = await api("authAction");
    expect(refused.status).to.equal(500);
    expect(refused.body).to.deep.include({ error: "not authenticated" });
    expect(refused.body).to.not.have.property("thing");
    expect(await viaClient("authAction")).to.deep.include({ error: "not authenticated" });
    expect(runs.get("authAction") ?? 0).to.equal(before);

    const allowed = await api("authAction", { token: "letmein" });
    expect(allowed.status).to.equal(200);
    expect(allowed.body).to.deep.include({ thing: "stuff", sessionSeen: { user: "ann" } });
    expect(await viaClient("authAction", { token: "letmein" })).to.deep.include({ thing: "stuff", sessionSeen: { user: "ann" } });
  });

  it("an HTTP request's data: connection type web, messageId 0, params from query and body", async () => {
    const captured: ActionProcessorData[] = [];
    ts.ws.actions.addMiddleware({ name: "observer", global: true, preProcessor: (data) => void captured.push({ ...data, params: { ...data.params } }) });
    const reply = await request(`${ts.url}/api/counted?fromQuery=1`, { method: "POST", headers: json, body: JSON.stringify({ max: 4 }) });
    expect(reply.status).to.equal(200);
    const [data] = captured;
    expect(data.connection.type).to.equal("web");
    expect(data.messageId).to.equal(0);
    expect(data.action).to.equal("counted");
    expect(data.params).to.deep.equal({ action: "counted", apiVersion: 2, fromQuery: "1", max: 4 });
    // The middleware's copy of the params is its own: the request's received params are untouched.
    expect(reply.json<Body>().requesterInformation?.receivedParams).to.not.have.property("apiVersion");
  });

  it("a postProcessor changes the response over HTTP; toRender = false answers 204", async () => {
    ts.ws.actions.addMiddleware({
      name: "post",
      global: true,
      postProcessor: (data) => void (data.response.decorated = data.action),
    });
    const decorated = await api("randomNumber");
    expect(decorated.status).to.equal(200);
    expect(decorated.body).to.deep.include({ decorated: "randomNumber" });
    expect(decorated.body?.randomNumber).to.be.a("number");
    removeAllMiddleware(ts.ws);
    ts.ws.actions.addMiddleware({ name: "silence", global: true, postProcessor: (data) => void (data.toRender = false) });
    const silent = await request(`${ts.url}/api/randomNumber`);
    expect(silent.status).to.equal(204);
    expect(silent.body).to.equal("");
  });

  it("a postProcessor that throws: 500 with that error and what run had put in the response", async () => {
    ts.ws.actions.addMiddleware({
      name: "post fails",
      global: true,
      postProcessor: async () => {
        throw new Error("post failed");
      },
    });
    const reply = await api("authAction");
    expect(reply.status).to.equal(500);
    expect(reply.body).to.deep.include({ error: "post failed", thing: "stuff" });
  });

  it("input errors after the preProcessors keep their status (422)", async () => {
    ts.ws.actions.addMiddleware({ name: "note", global: true, preProcessor: (data) => void (data.response.note = "pre ran") });
    const reply = await api("required");
    expect(reply.status).to.equal(422);
    expect(reply.body).to.deep.include({ error: "who is a required parameter for this action", note: "pre ran" });
  });

  it("an action listing middleware that is not registered fails with an error naming it, until it is added", async () => {
    const missing = await api("guarded");
    expect(missing.status).to.equal(500);
    expect(missing.body?.error).to.equal('action middleware "local one" (listed by action "guarded") is not registered');
    expect((await viaClient("guarded")).error).to.equal(missing.body?.error);

    ts.ws.actions.addMiddleware({ name: "local one", preProcessor: (data) => void (data.response.local = true) });
    expect((await api("guarded")).body).to.deep.include({ ran: true, local: true });
    ts.ws.actions.removeMiddleware("local one");
    expect((await api("guarded")).status).to.equal(500);
  });

  it("middleware without a priority gets defaultMiddlewarePriority (10 here); priority 0 counts as none, as in Actionhero", async () => {
    ts.ws.actions.addMiddleware({ name: "eleven", global: true, priority: 11, preProcessor: (d) => mark(d, "11") });
    ts.ws.actions.addMiddleware({ name: "none", global: true, preProcessor: (d) => mark(d, "default") });
    ts.ws.actions.addMiddleware({ name: "zero", global: true, priority: 0, preProcessor: (d) => mark(d, "0") });
    ts.ws.actions.addMiddleware({ name: "nine", global: true, priority: 9, preProcessor: (d) => mark(d, "9") });
    expect((await api("randomNumber")).body?.trail).to.deep.equal(["9", "default", "0", "11"]);
    expect((await viaClient("randomNumber")).trail).to.deep.equal(["9", "default", "0", "11"]);
  });
});
