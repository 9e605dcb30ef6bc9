/**
 * The balancer recipes of example/deploy/, run for real: Debian's nginx and HAProxy in front
 * of 3 of our processes on one Redis (test/support/cluster-node.ts), driven by the generated
 * client in Node over long-polling and websocket (and Chromium through nginx). Chat crosses
 * processes; no polling request reaches a process that does not hold its session (each
 * node counts engine.io's "Session ID unknown"); a process killed mid-session leaves its
 * clients to reconnect through the balancer to another, re-join their rooms and chat again.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClusterNode, killAll } from "../support/cluster.js";
import { remoteClientFactory, waitFor } from "../support/chat-helpers.js";
import { fetchClient, newCookie, withTimeout, type Client, type ClientClass } from "../support/node-client.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { balancerOrSkip, startBalancer, type Balancer, type BalancerKind } from "../support/balancer.js";
import { browserOrSkip, newContext } from "../support/browser.js";
import type { ActionheroWs } from "../../lib/index.js";
import type { PrimusClientConstructor } from "../../lib/client/ActionheroWebsocketClient.js";

const RECONNECT = { min: 100, max: 1_000, retries: 60 };

for (const kind of ["nginx", "haproxy"] as BalancerKind[]) {
  describe(`${kind} in front of 3 processes (example/deploy/)`, function () {
    this.timeout(120_000);
    let redis: RedisServer;
    let factory: { ws: ActionheroWs; close(): Promise<void> };
    let balancer: Balancer;
    let Client: ClientClass;
    const nodes: ClusterNode[] = [];
    const dirs: string[] = [];
    const clients: Client[] = [];
    let reconnects = 0;

    /** nginx hashes our fingerprint cookie (one per client); HAProxy's own cookie needs the client's cookie jar. */
    async function connect(transports: string[]): Promise<Client> {
      const transport = kind === "nginx"
        ? { transports, extraHeaders: { cookie: await newCookie(balancer.url) } }
        : { transports, withCredentials: true };
      const client = new Client({ url: balancer.url, Primus: factory.ws.primus!.Socket as unknown as PrimusClientConstructor, transport, reconnect: RECONNECT });
      client.on("reconnecting", () => reconnects++);
      clients.push(client);
      await withTimeout(client.connect(), 15_000, `connect through ${kind}`);
      return client;
    }
    async function nodeOf(client: Client): Promise<ClusterNode | undefined> {
      for (const node of nodes.filter((n) => n.running)) {
        if ((await node.state()).connections.some((c) => c.id === client.id)) return node;
      }
      return undefined;
    }
    async function unknownSessions(): Promise<number> {
      const states = await Promise.all(nodes.filter((n) => n.running).map((n) => n.state()));
      return states.reduce((sum, state) => sum + state.unknownSessions, 0);
    }
    async function chatReachesEveryone(members: Client[], what: string): Promise<void> {
      const got = members.map(() => [] as unknown[]);
      const listeners = members.map((client, i) => {
        const listener = (m: { message: unknown }) => void got[i].push(m.message);
        client.on("say", listener);
        return listener;
      });
      try {
        for (const [i, client] of members.entries()) await client.say("defaultRoom", `${what} ${i}`);
        await waitFor(() => got.every((messages) => messages.filter((m) => String(m).startsWith(what)).length === members.length), 15_000, `every client got every "${what}" message`);
      } finally {
        members.forEach((client, i) => client.off("say", listeners[i]));
      }
    }

    before(async function () {
      const binary = balancerOrSkip(this, kind);
      redis = await startRedisServer();
      factory = await remoteClientFactory();
      const prefix = `ahws-${kind}-${randomUUID()}:`;
      for (let i = 0; i < 3; i++) dirs.push(mkdtempSync(path.join(os.tmpdir(), "actionhero-ws-node-")));
      nodes.push(...await Promise.all(dirs.map((publicDir, i) => ClusterNode.start({ redis: redis.url, prefix, id: `${kind}-${i}`, heartbeatMs: 200, nodeTtlMs: 2_000, publicDir }))));
      balancer = await startBalancer(kind, binary, nodes.map((node) => new URL(node.url).host));
      ({ ActionheroWebsocketClient: Client } = await fetchClient(balancer.url));
    });

    after(async () => {
      for (const client of clients) client.disconnect();
      await balancer?.stop();
      await killAll(nodes);
      await factory?.close();
      await redis?.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it("carries chat across processes for polling and websocket clients; every polling request reaches its own process", async () => {
      const polling = await Promise.all(Array.from({ length: 6 }, () => connect(["polling"])));
      const websocket = await Promise.all(Array.from({ length: 2 }, () => connect(["websocket"])));
      const members = [...polling, ...websocket];
      for (const client of members) await client.roomAdd("defaultRoom");
      const holders = new Set(await Promise.all(polling.map(nodeOf)));
      expect(holders.size, "the polling clients are spread over the processes").to.be.at.least(2);
      await chatReachesEveryone(members, "hello");
      for (let round = 0; round < 5; round++) await Promise.all(polling.map((client) => client.action("randomNumber")));
      expect(await unknownSessions(), "polling requests that reached a process without their session").to.equal(0);
      expect(reconnects, "no client had to reconnect").to.equal(0);
    });

    it("a process killed mid-session: its clients reconnect through the balancer to another process and recover", async () => {
      const members = clients.slice();
      const placed = await Promise.all(members.map(async (client) => ({ client, node: await nodeOf(client) })));
      const victim = placed.find((p) => p.node && p.client.state === "connected")!.node!;
      const orphans = placed.filter((p) => p.node === victim).map((p) => p.client);
      const reconnected = orphans.map((client) => withTimeout(new Promise((resolve) => client.once("reconnect", resolve)), 60_000, `reconnect through ${kind}`));
      await victim.kill();
      await Promise.all(reconnected);
      for (const client of orphans) {
        const holder = await nodeOf(client);
        expect(holder, "reconnected to a live process").to.not.equal(undefined);
        expect(holder).to.not.equal(victim);
        const details = await client.detailsView();
        expect(details.data.rooms, "the client re-joined its room").to.include("defaultRoom");
      }
      await chatReachesEveryone(members, "after the crash");
      const before = reconnects;
      for (let round = 0; round < 3; round++) await Promise.all(members.map((client) => client.action("randomNumber")));
      expect(reconnects, "the survivors keep every session").to.equal(before);
    });

    if (kind === "nginx") {
      it("Chromium long-polls through nginx and chats with a Node client on another process", async function () {
        const browser = await browserOrSkip(this, "nginx + Chromium");
        // the killed process's clients met "Session ID unknown" once, on their way elsewhere
        const baseline = await unknownSessions();
        try {
          const page = await (await newContext(browser)).newPage();
          await page.goto(`${balancer.url}/api/randomNumber`); // same origin; sets the fingerprint cookie
          await page.addScriptTag({ url: `${balancer.url}/public/javascript/ActionheroWebsocketClient.js` });
          const browserId = await page.evaluate(async () => {
            const w = window as unknown as { ActionheroWebsocketClient: new (o: object) => Client; got: unknown[]; client: Client };
            w.got = [];
            w.client = new w.ActionheroWebsocketClient({ transport: { transports: ["polling"] } });
            w.client.on("say", (m: { message: unknown }) => void w.got.push(m.message));
            await w.client.connect();
            await w.client.roomAdd("defaultRoom");
            return w.client.id;
          });
          const browserNode = await nodeOf({ id: browserId } as Client);
          expect(browserNode, "the browser's session is on a live process").to.not.equal(undefined);
          let peer: Client | undefined;
          for (let i = 0; i < 10 && !peer; i++) {
            const candidate = await connect(["polling"]);
            if ((await nodeOf(candidate)) !== browserNode) peer = candidate;
          }
          expect(peer, "a Node client on another process").to.not.equal(undefined);
          await peer!.roomAdd("defaultRoom");
          const heard: unknown[] = [];
          peer!.on("say", (m: { message: unknown }) => void heard.push(m.message));
          await peer!.say("defaultRoom", "hello browser");
          await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.includes("hello browser"), undefined, { timeout: 15_000 });
          await page.evaluate(() => (window as unknown as { client: Client }).client.say("defaultRoom", "hello node"));
          await waitFor(() => heard.includes("hello node"), 15_000, "the Node client hears the browser");
          expect(await unknownSessions()).to.equal(baseline);
        } finally {
          await browser.close();
        }
      });
    }
  });
}
