/**
 * The generated client across a server restart on the same port, and the two meanings of
 * `destroyClientsOnShutdown`; plus: `ws.close()` leaves the app's http server serving.
 */
import { expect } from "chai";
import type { DetailsResponse, ReconnectSchedule } from "../../lib/client/ActionheroWebsocketClient.js";
import { freePort } from "../support/redis-server.js";
import {
  FAST_RECONNECT,
  startClientServer,
  nextEvent,
  waitFor,
  withTimeout,
  type Client,
  type ClientTestServer,
} from "../support/node-client.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server side only (what a process restart does to it): ws.close(), then the http server. */
async function stopServerSide(ts: ClientTestServer): Promise<void> {
  await ts.ws.close({ timeoutMs: 2_000 });
  ts.server.closeAllConnections();
  await new Promise<void>((resolve, reject) => ts.server.close((error) => (error ? reject(error) : resolve())));
}

/** Records every client event with the state seen when it fired. */
function recordEvents(client: Client, events: string[]): Array<{ event: string; state: string }> {
  const log: Array<{ event: string; state: string }> = [];
  for (const event of events) client.on(event, () => log.push({ event, state: client.state }));
  return log;
}

describe("generated client: server restart and destroyClientsOnShutdown", function () {
  this.timeout(30_000);
  const cleanup: Array<() => unknown> = [];
  const later = (fn: () => unknown) => cleanup.push(fn);

  afterEach(async () => {
    // newest first: clients before the servers they talk to
    while (cleanup.length) await cleanup.pop()!();
  });

  it("destroyClientsOnShutdown false: the client goes reconnecting, reconnects to the new server by itself, re-joins its room with a new id", async () => {
    const port = await freePort();
    const first = await startClientServer({}, port);
    later(() => first.close());
    const client = first.create({ reconnect: FAST_RECONNECT });
    later(() => client.disconnect());
    const events = recordEvents(client, ["connected", "reconnecting", "reconnect", "disconnected", "timeout"]);
    const details = await withTimeout(client.connect(), 5_000, "first connect");
    await client.roomAdd("defaultRoom");
    const oldId = client.id!;
    const fingerprint = client.fingerprint;
    expect(details.data.id).to.equal(oldId);
    expect(client.rooms).to.deep.equal(["defaultRoom"]);
    expect(first.ws.connections.get(oldId)?.rooms).to.deep.equal(["defaultRoom"]);

    // the server goes away; the client keeps retrying
    const reconnecting = nextEvent<[ReconnectSchedule]>(client, "reconnecting", 5_000);
    await stopServerSide(first);
    const [schedule] = await reconnecting;
    expect(schedule.attempt).to.be.a("number").and.at.least(1);
    expect(client.state).to.equal("reconnecting");
    await sleep(400); // several failed attempts against a closed port
    expect(client.state).to.equal("reconnecting");
    expect(events.filter((e) => e.event === "disconnected"), "a retrying client is not 'disconnected'").to.deep.equal([]);
    expect(events.filter((e) => e.event === "reconnecting").every((e) => e.state === "reconnecting")).to.equal(true);

    // a fresh server on the same port: the client comes back by itself
    const reconnected = nextEvent<[DetailsResponse]>(client, "reconnect", 10_000);
    const second = await startClientServer({}, port);
    later(() => second.close());
    const [reconnectDetails] = await reconnected;

    expect(client.state).to.equal("connected");
    expect(client.id).to.be.a("string").and.not.equal(oldId);
    expect(reconnectDetails.data.id).to.equal(client.id);
    expect(client.fingerprint, "the cookie still carries the fingerprint").to.equal(fingerprint);
    expect(client.rooms).to.deep.equal(["defaultRoom"]);
    expect(reconnectDetails.data.rooms).to.deep.equal(["defaultRoom"]);

    // server side: one connection, the client's new id, in defaultRoom
    expect([...second.ws.connections.keys()]).to.deep.equal([client.id]);
    expect(second.ws.connections.get(client.id!)?.rooms).to.deep.equal(["defaultRoom"]);
    expect(second.ws.connections.get(client.id!)?.fingerprint).to.equal(fingerprint);
    const view = await client.roomView("defaultRoom");
    expect(view.data.membersCount).to.equal(1);
    expect(Object.keys(view.data.members)).to.deep.equal([client.id]);

    // `connected` then `reconnect`, once each for the reconnect
    const order = events.map((e) => e.event).filter((e) => e === "connected" || e === "reconnect");
    expect(order).to.deep.equal(["connected", "connected", "reconnect"]);
    expect(events.some((e) => e.event === "timeout")).to.equal(false);

    // and it works on the new server
    const random = await client.action("randomNumber");
    expect(random.randomNumber).to.be.a("number");
  });

  it("destroyClientsOnShutdown true: the client is told to stay closed and does not reconnect to a new server", async () => {
    const port = await freePort();
    const first = await startClientServer({ destroyClientsOnShutdown: true }, port);
    later(() => first.close());
    const client = first.create({ reconnect: FAST_RECONNECT });
    later(() => client.disconnect());
    const events = recordEvents(client, ["connected", "reconnecting", "reconnect", "disconnected"]);
    await withTimeout(client.connect(), 5_000, "connect");
    await client.roomAdd("defaultRoom");

    const disconnected = nextEvent(client, "disconnected", 5_000);
    await stopServerSide(first);
    await disconnected;
    expect(client.state).to.equal("disconnected");

    const second = await startClientServer({ destroyClientsOnShutdown: true }, port);
    later(() => second.close());
    await sleep(2_000); // ~10 attempts' worth of FAST_RECONNECT
    expect(client.state).to.equal("disconnected");
    expect(second.ws.connections.size).to.equal(0);
    expect(events.map((e) => e.event)).to.deep.equal(["connected", "disconnected"]);
    // requests fail locally rather than hanging
    const reply = await withTimeout(client.detailsView().then(() => "resolved", (error: Error) => error.message), 2_000, "detailsView");
    expect(reply).to.equal("connection closed");
  });

  it("close() leaves the app's http server listening and serving its own routes", async () => {
    const ts = await startClientServer();
    later(() => ts.close());
    const client = await ts.connect({ reconnect: FAST_RECONNECT });
    const id = client.id!;
    await ts.ws.close({ timeoutMs: 2_000 });
    expect(ts.ws.connections.has(id)).to.equal(false);
    expect(ts.server.listening).to.equal(true);
    const res = await fetch(`${ts.url}/hello`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ hello: "world" });
    // the websocket side is gone for good on this server: the client cannot get back in
    await sleep(300);
    expect(client.state).to.not.equal("connected");
    expect(ts.ws.connections.size).to.equal(0);
  });
});
