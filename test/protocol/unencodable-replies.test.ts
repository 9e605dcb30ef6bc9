/**
 * An action whose response JSON cannot encode (a cycle, a BigInt) still gets an answer:
 * an error reply with its messageId on the socket (string frames and object frames, over
 * websocket and long-polling) and a JSON 500 on /api. The connection keeps working.
 */
import { expect } from "chai";
import type { ActionDefinition } from "../../lib/index.js";
import { allTestActions } from "../support/test-actions.js";
import { startClientServer, withTimeout, type ClientTestServer } from "../support/node-client.js";
import { RawSocketIo } from "../support/raw-socket-io.js";
import { RawClient } from "../support/primus-client.js";

const unencodable = "the response could not be encoded as JSON";

const cyclic: ActionDefinition = {
  name: "cyclic",
  run: () => {
    const node: Record<string, unknown> = { name: "loop" };
    node.self = node;
    return { node };
  },
};
const bigint: ActionDefinition = { name: "bigint", run: () => ({ big: 10n ** 20n }) };
const unencodableActions = ["cyclic", "bigint"] as const;

describe("protocol: action responses JSON cannot encode", function () {
  let ts: ClientTestServer;

  before(async () => {
    ts = await startClientServer({ actions: [...allTestActions, cyclic, bigint] });
  });
  after(() => ts.close());

  for (const transport of ["websocket", "polling"] as const) {
    it(`string frames over ${transport} (a raw socket.io-client): an error reply with the messageId`, async () => {
      const client = await RawSocketIo.open(ts.url, transport);
      try {
        for (const action of unencodableActions) {
          const reply = await client.request({ event: "action", params: { action }, messageId: `m-${action}` });
          expect(reply).to.deep.equal({ error: unencodable, context: "response", messageId: `m-${action}` });
        }
        const ok = await client.request({ event: "action", params: { action: "randomNumber" }, messageId: "after" });
        expect(ok.randomNumber).to.be.a("number");
      } finally {
        client.close();
      }
    });

    it(`object frames over ${transport} (the server's Primus client): an error reply with the messageId`, async () => {
      const client = await RawClient.open(ts.ws, ts.url, { polling: transport === "polling" });
      try {
        for (const action of unencodableActions) {
          const reply = await client.request({ event: "action", params: { action }, messageId: `o-${action}` });
          expect(reply).to.deep.equal({ error: unencodable, context: "response", messageId: `o-${action}` });
        }
        expect((await client.request({ event: "action", params: { action: "randomNumber" } })).randomNumber).to.be.a("number");
      } finally {
        client.close();
      }
    });
  }

  it("the generated client: the request rejects with the error instead of timing out", async () => {
    const client = await ts.connect({ requestTimeout: 10_000 });
    for (const action of unencodableActions) {
      const error = await withTimeout(client.action(action).then(() => expect.fail("must reject"), (e: Error & { response?: Record<string, unknown> }) => e), 5_000, action);
      expect(error.message).to.equal(unencodable);
      expect(error.response?.messageId).to.not.equal(undefined);
    }
    expect((await client.action("randomNumber")).randomNumber).to.be.a("number");
    expect(ts.ws.stats().actionsInFlight).to.equal(0);
  });

  it("/api answers a JSON 500", async () => {
    for (const action of unencodableActions) {
      const res = await withTimeout(fetch(`${ts.url}/api/${action}`), 5_000, `/api/${action}`);
      expect(res.status, action).to.equal(500);
      expect(res.headers.get("content-type")).to.match(/^application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.error).to.equal(unencodable);
      expect((body.requesterInformation as { receivedParams: Record<string, unknown> }).receivedParams.action).to.equal(action);
    }
  });
});
