/**
 * The generated client (fetched from the server and evaluated in Node) against our server:
 * Actionhero's own websocket test list (protocol spec §11 items 1-16, 19, 27-29), then the
 * client improvements of spec README §3.
 */
import { expect } from "chai";
import { statSync } from "node:fs";
import { join } from "node:path";
import type {
  ActionResponse,
  ChatMessage,
  ClientError,
  DetailsResponse,
  FileResponse,
  ResponseFrame,
  RoomViewResponse,
  VerbResponse,
} from "../../lib/client/ActionheroWebsocketClient.js";
import { fixturesPublic } from "../support/test-server.js";
import { historyFields } from "../support/chat-helpers.js";
import {
  startClientServer,
  withTimeout,
  waitFor,
  nextEvent,
  type Client,
  type ClientTestServer,
} from "../support/node-client.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a callback-style call and resolves with what the callback got, bounded. */
function reply<T>(start: (done: (value: T) => void) => void, ms = 5_000): Promise<T> {
  return withTimeout(new Promise<T>((resolve) => start(resolve)), ms, "callback");
}

/** Resolves with the first `say` message on `client` that passes `test`, bounded. */
function nextSay(client: Client, test: (m: ChatMessage) => boolean, ms = 5_000): Promise<ChatMessage> {
  let listener: ((m: ChatMessage) => void) | undefined;
  const got = new Promise<ChatMessage>((resolve) => {
    listener = (m: ChatMessage) => {
      if (test(m)) resolve(m);
    };
    client.on("say", listener);
  });
  return withTimeout(got, ms, "say message").finally(() => client.off("say", listener));
}

/** Every `say` message a client receives, from now on. */
function collectSays(client: Client): ChatMessage[] {
  const seen: ChatMessage[] = [];
  client.on("say", (m: ChatMessage) => seen.push(m));
  return seen;
}

const MISSING_KEY = "key is a required parameter for this action";

describe("generated client: Actionhero's websocket tests", function () {
  let ts: ClientTestServer;
  let client1: Client;
  let client2: Client;
  let client3: Client;

  before(async () => {
    ts = await startClientServer();
  });
  after(async () => {
    await ts?.close();
  });
  beforeEach(async () => {
    [client1, client2, client3] = await Promise.all([ts.connect(), ts.connect(), ts.connect()]);
  });
  afterEach(() => {
    ts.disconnectClients();
  });

  it("1: connect calls back with the detailsView response (totalActions 0); welcomeMessage is set", async () => {
    const fingerprint = ts.cookie.slice("sessionID=".length);
    for (let i = 0; i < 3; i++) {
      const client = ts.create();
      expect(client.state).to.equal("disconnected");
      const [error, details] = await reply<[ClientError | null, DetailsResponse | undefined]>((done) =>
        client.connect((err, d) => done([err, d])),
      );
      expect(error).to.equal(null);
      expect(details!.context).to.equal("response");
      expect(details!.status).to.equal("OK");
      expect(details!.data.totalActions).to.equal(0);
      expect(client.welcomeMessage).to.equal("Welcome to the actionhero api");
      expect(client.state).to.equal("connected");
      expect(client.id).to.equal(details!.data.id);
      // the fingerprint comes from the cookie header, as set by the HTTP side
      expect(client.fingerprint).to.equal(fingerprint);
      expect(ts.ws.connections.get(client.id!)?.fingerprint).to.equal(fingerprint);
    }
  });

  it("2: detailsView returns connectedAt in the past and a loopback remoteIP", async () => {
    const response = await reply<DetailsResponse>((done) => client1.detailsView(done));
    expect(response.error).to.equal(undefined);
    expect(response.data.id).to.equal(client1.id);
    expect(response.data.connectedAt).to.be.a("number").and.at.most(Date.now());
    expect(["127.0.0.1", "::ffff:127.0.0.1", "::1"]).to.include(response.data.remoteIP);
  });

  it("3: an action missing a required input answers the missing-key error", async () => {
    const response = await reply<ActionResponse>((done) => client1.action("cacheTest", {}, done));
    expect(response.error).to.equal(MISSING_KEY);
  });

  it("4: two simultaneous roomAdd of one room leave client.rooms as exactly [defaultRoom]", async () => {
    const replies = await Promise.all([
      reply<VerbResponse<boolean>>((done) => client1.roomAdd("defaultRoom", done)),
      reply<VerbResponse<boolean>>((done) => client1.roomAdd("defaultRoom", done)),
    ]);
    expect(replies.map((r) => r.status).sort()).to.deep.equal(["Error: connection already in this room (defaultRoom)", "OK"]);
    expect(client1.rooms).to.deep.equal(["defaultRoom"]);
    expect(ts.ws.connections.get(client1.id!)?.rooms).to.deep.equal(["defaultRoom"]);
  });

  it("5: interleaved roomAdd / slow action / roomAdd / fast action keep their messageIds; the fast one answers first", async () => {
    const start = client1.messageId;
    const arrived: string[] = [];
    void client1.roomAdd("defaultRoom", () => undefined);
    const slow = reply<ActionResponse>((done) =>
      client1.action("sleepTest", { sleepDuration: 300 }, (r) => {
        arrived.push("slow");
        done(r);
      }),
    );
    void client1.roomAdd("defaultRoom", () => undefined);
    const fast = reply<ActionResponse>((done) =>
      client1.action("randomNumber", (r) => {
        arrived.push("fast");
        done(r);
      }),
    );
    const [slowResponse, fastResponse] = await Promise.all([slow, fast]);
    expect(slowResponse.messageId).to.equal(start + 2);
    expect(fastResponse.messageId).to.equal(start + 4);
    expect(slowResponse.error).to.equal(undefined);
    expect(fastResponse.error).to.equal(undefined);
    expect(arrived).to.deep.equal(["fast", "slow"]);
  });

  it("6: a messageId given in params is the response's messageId", async () => {
    const response = await reply<ActionResponse>((done) => client1.action("randomNumber", { messageId: "aaa" }, done));
    expect(response.messageId).to.equal("aaa");
    expect(response.randomNumber).to.be.a("number");
  });

  it("7: an action without params succeeds", async () => {
    const response = await reply<ActionResponse>((done) => client1.action("randomNumber", done));
    expect(response.error).to.equal(undefined);
    expect(response.randomNumber).to.be.a("number").and.to.be.ok;
    expect(response.context).to.equal("response");
  });

  it("8: an action with params succeeds", async () => {
    const response = await reply<ActionResponse>((done) => client1.action("cacheTest", { key: "test key", value: "test value" }, done));
    expect(response.error).to.equal(undefined);
    expect(response.cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "test key", value: "test value" } });
  });

  it("9: params are not sticky between requests", async () => {
    const first = await reply<ActionResponse>((done) => client1.action("cacheTest", { key: "k", value: "v" }, done));
    expect(first.error).to.equal(undefined);
    const second = await reply<ActionResponse>((done) => client1.action("cacheTest", done));
    expect(second.error).to.equal(MISSING_KEY);
  });

  it("10: with 6 concurrent actions (limit 5) the first answer is the refusal, the other 5 succeed", async () => {
    const arrived: ActionResponse[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        reply<ActionResponse>((done) =>
          client1.action("sleepTest", { sleepDuration: 200 }, (r) => {
            arrived.push(r);
            done(r);
          }),
        ),
      ),
    );
    expect(arrived).to.have.length(6);
    expect(arrived[0].error).to.equal("you have too many pending requests");
    for (const r of arrived.slice(1)) {
      expect(r.error).to.equal(undefined);
      expect(r.sleepDuration).to.equal(200);
    }
  });

  it("11: file returns a public file with content, mime and length", async () => {
    const response = await reply<FileResponse>((done) => client1.file("simple.html", done));
    expect(response.error).to.equal(undefined);
    expect(response.content).to.contain("<h1>Actionhero</h1>");
    expect(response.mime).to.equal("text/html");
    // Actionhero's fixture is 101 bytes; ours is the file in test/fixtures/public
    expect(response.length).to.equal(statSync(join(fixturesPublic, "simple.html")).size);
  });

  it("12: file of a missing file answers 'that file is not found' with text/html and null content", async () => {
    const response = await reply<FileResponse>((done) => client1.file("missing.html", done));
    expect(response.error).to.equal("that file is not found");
    expect(response.mime).to.equal("text/html");
    expect(response.content).to.equal(null);
  });

  it("13: after joining two rooms detailsView lists both and roomView counts the member", async () => {
    await reply((done) => client1.roomAdd("defaultRoom", done));
    await reply((done) => client1.roomAdd("otherRoom", done));
    const details = await reply<DetailsResponse>((done) => client1.detailsView(done));
    expect(details.data.rooms).to.deep.equal(["defaultRoom", "otherRoom"]);
    const view = await reply<RoomViewResponse>((done) => client1.roomView("otherRoom", done));
    expect(view.error).to.equal(undefined);
    expect(view.data.room).to.equal("otherRoom");
    expect(view.data.membersCount).to.equal(1);
    expect(Object.keys(view.data.members)).to.deep.equal([client1.id]);
  });

  it("14: client.rooms follows roomAdd and roomLeave; neither reply has an error", async () => {
    expect(client1.rooms).to.deep.equal([]);
    const added = await reply<VerbResponse<boolean>>((done) => client1.roomAdd("defaultRoom", done));
    expect(added.error).to.equal(undefined);
    expect(client1.rooms).to.deep.equal(["defaultRoom"]);
    const left = await reply<VerbResponse<boolean>>((done) => client1.roomLeave("defaultRoom", done));
    expect(left.error).to.equal(undefined);
    expect(client1.rooms).to.deep.equal([]);
    expect(ts.ws.connections.get(client1.id!)?.rooms).to.deep.equal([]);
  });

  it("15: a say from client 2 reaches client 1's say listener", async () => {
    await reply((done) => client1.roomAdd("defaultRoom", done));
    await reply((done) => client2.roomAdd("defaultRoom", done));
    const heard = nextSay(client1, (m) => m.message === "hello from client 2");
    const ok = await reply<VerbResponse<undefined>>((done) => client2.say("defaultRoom", "hello from client 2", done));
    expect(ok.status).to.equal("OK");
    const message = await heard;
    expect(message.context).to.equal("user");
    expect(message.message).to.equal("hello from client 2");
    expect(message.room).to.equal("defaultRoom");
    expect(message.from).to.equal(client2.id);
  });

  it("16: a raw send({message, room, event: 'say'}) with another key order works the same", async () => {
    await reply((done) => client1.roomAdd("defaultRoom", done));
    await reply((done) => client2.roomAdd("defaultRoom", done));
    const heard = nextSay(client1, (m) => m.message === "hello from client 2 (raw)");
    const ok = await reply<ResponseFrame>((done) => client2.send({ message: "hello from client 2 (raw)", room: "defaultRoom", event: "say" }, done));
    expect(ok.status).to.equal("OK");
    const message = await heard;
    expect(message.context).to.equal("user");
    expect(message.from).to.equal(client2.id);
  });

  it("19: messages to a room a client is not in are never delivered to it", async () => {
    await reply((done) => client1.roomAdd("defaultRoom", done));
    await reply((done) => client2.roomAdd("defaultRoom", done));
    await reply((done) => client3.roomAdd("otherRoom", done));
    const heard1 = collectSays(client1);
    const heard2 = collectSays(client2);
    const heard3 = collectSays(client3);
    const toDefault = nextSay(client1, (m) => m.message === "for defaultRoom");
    const toOther = nextSay(client3, (m) => m.message === "for otherRoom");
    await reply((done) => client2.say("defaultRoom", "for defaultRoom", done));
    await reply((done) => client3.say("otherRoom", "for otherRoom", done));
    await Promise.all([toDefault, toOther]);
    await sleep(150);
    expect(heard1.map((m) => m.message)).to.deep.equal(["for defaultRoom"]);
    expect(heard2.map((m) => m.message)).to.deep.equal(["for defaultRoom"]);
    expect(heard3.map((m) => m.message)).to.deep.equal(["for otherRoom"]);
    // and a say to a room one is not in is refused
    const refused = await reply<VerbResponse<undefined>>((done) => client3.say("defaultRoom", "sneaky", done));
    expect(refused.error).to.equal("Error: connection not in this room (defaultRoom)");
  });

  it("28: clients calling disconnect() take the server's connection count from 3 to 0", async () => {
    await waitFor(() => ts.ws.connections.size === 3, 3_000, "3 server connections");
    for (const client of [client1, client2, client3]) {
      expect(ts.ws.connections.has(client.id!)).to.equal(true);
      client.disconnect();
      expect(client.state).to.equal("disconnected");
    }
    await waitFor(() => ts.ws.connections.size === 0, 3_000, "0 server connections");
  });

  it("29: after the server destroys every connection, detailsView never gets a server reply (no callback left behind)", async () => {
    await waitFor(() => ts.ws.connections.size === 3, 3_000, "3 server connections");
    const gone = nextEvent(client1, "disconnected");
    await Promise.all([...ts.ws.connections.values()].map((connection) => connection.destroy()));
    await gone;
    expect(client1.state).to.equal("disconnected");
    const answers: ResponseFrame[] = [];
    client1.detailsView((r) => answers.push(r));
    await sleep(500);
    // Actionhero's callback never fires (and leaks); ours is settled locally, never by a server reply
    expect(answers).to.have.length(1);
    expect(answers[0].error).to.equal("connection closed");
    expect(answers[0]).to.not.have.property("data");
    expect(Object.keys(client1.callbacks)).to.deep.equal([]);
    expect(client1.state).to.equal("disconnected");
    expect(ts.ws.connections.size).to.equal(0);
  });
});

describe("generated client: Actionhero's test 27 (raised simultaneousActions)", function () {
  let ts: ClientTestServer;

  before(async () => {
    ts = await startClientServer({ simultaneousActions: 20 });
  });
  after(async () => {
    await ts?.close();
  });

  it("27: 11 concurrent sleepTest actions each get back their own sleepDuration", async () => {
    const client = await ts.connect();
    const durations = Array.from({ length: 11 }, (_, i) => 50 + i * 23 + Math.floor(Math.random() * 20));
    const responses = await Promise.all(
      durations.map((sleepDuration) => reply<ActionResponse>((done) => client.action("sleepTest", { sleepDuration }, done))),
    );
    responses.forEach((response, i) => {
      expect(response.error, `request ${i}`).to.equal(undefined);
      expect(response.sleepDuration, `request ${i}`).to.equal(durations[i]);
    });
    expect(new Set(responses.map((r) => r.messageId)).size).to.equal(11);
  });
});

describe("generated client: improvements over Actionhero's client", function () {
  let ts: ClientTestServer;

  before(async () => {
    ts = await startClientServer();
  });
  after(async () => {
    await ts?.close();
  });
  afterEach(() => {
    ts.disconnectClients();
  });

  it("the .min.js works too: connect, action, roomAdd, say, disconnect", async () => {
    const { source: js } = ts.loaded.js;
    const { source: min } = ts.loaded["min.js"];
    expect(min.length).to.be.below(js.length / 2);
    expect(min).to.not.contain("%%DEFAULTS%%");
    const client = ts.create({ file: "min.js" });
    const details = await withTimeout(client.connect(), 5_000, "min client connect");
    expect(details.data.id).to.equal(client.id);
    expect(client.welcomeMessage).to.equal("Welcome to the actionhero api");
    const response = await client.action("randomNumber");
    expect(response.randomNumber).to.be.a("number");
    await client.roomAdd("defaultRoom");
    expect(client.rooms).to.deep.equal(["defaultRoom"]);
    const heard = nextSay(client, (m) => m.message === "from the min client");
    await client.say("defaultRoom", "from the min client");
    expect((await heard).from).to.equal(client.id);
    const id = client.id!;
    client.disconnect();
    await waitFor(() => !ts.ws.connections.has(id), 3_000, "the server to drop the min client");
  });

  it("Promise API: requests resolve with the frame; errors reject with .response", async () => {
    const client = ts.create();
    const details = await withTimeout(client.connect(), 5_000, "connect");
    expect(details.context).to.equal("response");
    const random = await client.action("randomNumber");
    expect(random.randomNumber).to.be.a("number");
    expect(random.error).to.equal(undefined);

    const params = { key: "promise", value: "kept" };
    const cached = await client.action("cacheTest", params);
    expect(cached.cacheTestResults).to.deep.equal({ saveResp: true, loadResp: { key: "promise", value: "kept" } });
    expect(params, "the caller's params are not mutated").to.deep.equal({ key: "promise", value: "kept" });

    const missing = await client.action("cacheTest").then(
      () => expect.fail("a failing action must reject"),
      (error: ClientError) => error,
    );
    expect(missing).to.be.instanceOf(Error);
    expect(missing.message).to.equal(MISSING_KEY);
    expect(missing.response?.error).to.equal(MISSING_KEY);

    const joined = await client.roomAdd("defaultRoom");
    expect(joined.status).to.equal("OK");
    const view = await client.roomView("defaultRoom");
    expect(view.data.membersCount).to.equal(1);
    const noRoom = await client.roomAdd("missingRoom").then(
      () => expect.fail("roomAdd of a missing room must reject"),
      (error: ClientError) => error,
    );
    expect(noRoom.response?.error).to.equal("Error: room does not exist");
    expect(client.rooms).to.deep.equal(["defaultRoom"]);
    const left = await client.roomLeave("defaultRoom");
    expect(left.status).to.equal("OK");
    expect(client.rooms).to.deep.equal([]);
    expect(Object.keys(client.callbacks)).to.deep.equal([]);
  });

  it("actions before connect() go over HTTP (the fallback) and resolve too", async () => {
    const client = ts.create();
    expect(client.state).to.equal("disconnected");
    const response = await withTimeout(client.action("randomNumber"), 5_000, "HTTP action");
    expect(response.randomNumber).to.be.a("number");
    const failed = await withTimeout(
      client.action("cacheTest").then(
        () => expect.fail("must reject"),
        (error: ClientError) => error,
      ),
      5_000,
      "HTTP action error",
    );
    expect(failed.message).to.equal(MISSING_KEY);
  });

  it("request timeout: an action that never answers calls back with 'request timed out' and leaves no callback", async () => {
    const client = await ts.connect({ requestTimeout: 200 });
    const started = Date.now();
    const response = await reply<ActionResponse>((done) => client.action("silent", {}, done), 3_000);
    const waited = Date.now() - started;
    expect(response.error).to.equal("request timed out");
    expect(waited).to.be.at.least(150).and.below(2_000);
    expect(Object.keys(client.callbacks)).to.deep.equal([]);

    const rejected = await withTimeout(
      client.action("silent").then(
        () => expect.fail("must reject"),
        (error: ClientError) => error,
      ),
      3_000,
      "timed-out promise",
    );
    expect(rejected.message).to.equal("request timed out");
    expect(Object.keys(client.callbacks)).to.deep.equal([]);
    // the connection is still usable afterwards
    expect((await client.action("randomNumber")).randomNumber).to.be.a("number");
    expect(client.state).to.equal("connected");
  });

  it("events are per instance: A's listeners never fire for B", async () => {
    const a = await ts.connect();
    const b = await ts.connect();
    const aMessages: unknown[] = [];
    const bMessages: unknown[] = [];
    const aWelcomes: unknown[] = [];
    a.on("message", (m: unknown) => aMessages.push(m));
    b.on("message", (m: unknown) => bMessages.push(m));
    a.on("welcome", (m: unknown) => aWelcomes.push(m));
    expect(a.listenerCount("message")).to.equal(1);
    expect(b.listenerCount("welcome")).to.equal(0);

    await b.action("randomNumber");
    await b.detailsView();
    expect(bMessages.length).to.be.at.least(2);
    expect(aMessages).to.deep.equal([]);

    // a third client's welcome is its own
    const c = ts.create();
    const cWelcome = nextEvent(c, "welcome");
    await withTimeout(c.connect(), 5_000, "connect c");
    await cWelcome;
    expect(aWelcomes).to.deep.equal([]);

    // a say in a room only B is in reaches B's say listener only
    await b.roomAdd("otherRoom");
    const aSays = collectSays(a);
    const heard = nextSay(b, (m) => m.message === "only for b");
    await b.say("otherRoom", "only for b");
    await heard;
    await sleep(100);
    expect(aSays).to.deep.equal([]);

    // emitting on one instance does not reach another
    let aCustom = 0;
    a.on("custom", () => aCustom++);
    expect(b.emit("custom")).to.equal(false);
    expect(aCustom).to.equal(0);
    expect(a.emit("custom")).to.equal(true);
    expect(aCustom).to.equal(1);
  });

  it("say between two clients: both members get {message, room, from, context, sentAt, offset, epoch}", async () => {
    const a = await ts.connect();
    const b = await ts.connect();
    await a.roomAdd("defaultRoom");
    await b.roomAdd("defaultRoom");
    const atB = nextSay(b, (m) => m.message === "hi from a");
    const atA = nextSay(a, (m) => m.message === "hi from a");
    const before = Date.now();
    const ok = await a.say("defaultRoom", "hi from a");
    expect(ok.status).to.equal("OK");
    const [toB, toA] = await Promise.all([atB, atA]);
    expect(toB).to.deep.equal({ message: "hi from a", room: "defaultRoom", from: a.id, context: "user", sentAt: toB.sentAt, ...historyFields(toB) });
    expect(toB.sentAt).to.be.a("number").and.at.least(before - 1_000);
    expect(toA.from).to.equal(a.id);
    expect(historyFields(toA), "one message: one offset and epoch").to.deep.equal(historyFields(toB));
  });

  it("object messages are delivered intact", async () => {
    const a = await ts.connect();
    const b = await ts.connect();
    await a.roomAdd("defaultRoom");
    await b.roomAdd("defaultRoom");
    const payload = { text: "structured", n: 42, list: [1, "two", { three: 3 }], nested: { flag: true, nothing: null }, unicode: "héllo ✓" };
    const heard = nextSay(b, (m) => typeof m.message === "object" && m.message !== null);
    await a.say("defaultRoom", payload);
    const message = await heard;
    expect(message.message).to.deep.equal(payload);
    expect(message.from).to.equal(a.id);
  });
});
