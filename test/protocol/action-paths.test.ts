/**
 * Actions are run without promises when nothing in them is asynchronous
 * (lib/actions/action-processor.ts). Every shape of `run` and of inputs must give the same
 * replies, bookkeeping and errors as the asynchronous path.
 */
import { expect } from "chai";
import type { ActionDefinition } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient, type Frame } from "../support/primus-client.js";

const syncActions: ActionDefinition[] = [
  { name: "syncReturn", inputs: { v: { required: true } }, run: ({ params }) => ({ v: params.v, sync: true }) },
  {
    name: "syncResponse",
    run: (data) => {
      data.response.filled = "in place";
    },
  },
  {
    name: "syncThrow",
    run: () => {
      throw new Error("thrown at once");
    },
  },
  { name: "thenable", run: () => ({ then: (resolve: (v: unknown) => void) => resolve({ from: "a thenable" }) }) },
  { name: "rejects", run: () => Promise.reject(new Error("rejected later")) },
  {
    name: "asyncInput",
    inputs: { n: { required: true, validator: async (v: unknown) => (Number(v) > 0 ? true : "n must be positive") } },
    run: ({ params }) => ({ n: params.n }),
  },
  {
    name: "brokenDefault",
    inputs: {
      n: {
        default: () => {
          throw new TypeError("default blew up");
        },
      },
    },
    run: () => ({ unreachable: true }),
  },
  {
    name: "syncSilent",
    run: (data) => {
      data.toRender = false;
    },
  },
];

describe("protocol: synchronous and asynchronous actions", function () {
  this.timeout(15_000);
  let ts: TestServer;
  let client: RawClient;

  before(async () => {
    ts = await startTestServer({ actions: syncActions });
    client = await RawClient.open(ts.ws, ts.url);
  });
  after(async () => {
    client.close();
    await ts.close();
  });

  const run = (params: Frame) => client.request({ event: "action", params });

  it("a synchronous run's returned object is the response", async () => {
    const reply = await run({ action: "syncReturn", v: 3 });
    expect(reply).to.deep.include({ v: 3, sync: true, context: "response" });
    expect(reply).to.not.have.property("error");
  });

  it("a synchronous run that fills data.response", async () => {
    expect(await run({ action: "syncResponse" })).to.deep.include({ filled: "in place" });
  });

  it("a synchronous throw and a rejection become the action's error, as an async throw does", async () => {
    expect((await run({ action: "syncThrow" })).error).to.equal("thrown at once");
    expect((await run({ action: "rejects" })).error).to.equal("rejected later");
  });

  it("a thenable that is not a Promise is adopted", async () => {
    expect(await run({ action: "thenable" })).to.deep.include({ from: "a thenable" });
  });

  it("an asynchronous validator still refuses and accepts", async () => {
    expect((await run({ action: "asyncInput", n: -1 })).error).to.equal("n must be positive");
    expect(await run({ action: "asyncInput", n: 2 })).to.deep.include({ n: 2 });
  });

  it("an input's default that throws is answered as a bad frame, and the connection goes on", async () => {
    const reply = await run({ action: "brokenDefault" });
    expect(reply.error).to.equal("Error: default blew up");
    expect((await run({ action: "syncReturn", v: 1 })).v).to.equal(1);
  });

  it("toRender = false in a synchronous run sends nothing; the next frame is answered", async () => {
    const mark = client.frames.length;
    client.send({ event: "action", params: { action: "syncSilent" }, messageId: "quiet" });
    const next = await client.request({ event: "detailsView", messageId: "after quiet" });
    expect(next.status).to.equal("OK");
    expect(client.after(mark, (f) => f.messageId === "quiet")).to.deep.equal([]);
  });

  it("every path leaves no pending action behind and counts each one", async () => {
    const details = (await client.request({ event: "detailsView" })).data as { pendingActions: number; totalActions: number };
    expect(details.pendingActions).to.equal(0);
    // Actions sent so far in this suite: 1 + 1 + 2 + 1 + 2 + 2 + 1.
    expect(details.totalActions).to.equal(10);
    expect(ts.ws.stats().actionsInFlight).to.equal(0);
  });
});
