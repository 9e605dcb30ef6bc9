/**
 * TCP forwarders on 127.0.0.1 for fault tests, on one core (`forward`):
 * - `startCutProxy(port)`: in front of a test server; `cut(ms)` drops every open connection
 *   at once and refuses new ones for `ms` (a phone changing network, a laptop asleep), then
 *   lets them through again; `target` may be moved to another node's port (a restart behind a
 *   balancer).
 * - `startSlowSubscribeProxy(redis, delayMs)`: in front of a real Redis; holds back by
 *   `delayMs` everything a connection sends from its first (S)SUBSCRIBE on, so subscriptions
 *   reach Redis late while the node's other connection goes straight through. Order within a
 *   connection is kept.
 */
import net from "node:net";

interface Forwarder {
  port: number;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** Forwards each accepted connection to `target()`; `relay` (default: pipe) carries client -> upstream. */
async function forward(
  target: () => number,
  accept: () => boolean = () => true,
  relay?: (client: net.Socket, upstream: net.Socket) => void,
): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!accept()) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: target() });
    sockets.add(client).add(upstream);
    if (relay) relay(client, upstream);
    else client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface CutProxy {
  readonly url: string;
  /** the port connections are forwarded to */
  target: number;
  cut(ms: number): void;
  close(): Promise<void>;
}

export async function startCutProxy(target: number): Promise<CutProxy> {
  let downUntil = 0;
  const forwarder = await forward(() => proxy.target, () => Date.now() >= downUntil);
  const proxy: CutProxy = {
    url: `http://127.0.0.1:${forwarder.port}`,
    target,
    cut(ms) {
      downUntil = Date.now() + ms;
      for (const socket of forwarder.sockets) socket.destroy();
      forwarder.sockets.clear();
    },
    close: () => forwarder.close(),
  };
  return proxy;
}

export interface SlowSubscribeProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSlowSubscribeProxy(target: { port: number }, delayMs: number): Promise<SlowSubscribeProxy> {
  const forwarder = await forward(() => target.port, undefined, (client, upstream) => {
    let slow = false;
    client.on("data", (chunk: Buffer) => {
      slow ||= /subscribe/i.test(chunk.toString("latin1"));
      if (!slow) upstream.write(chunk);
      else setTimeout(() => upstream.destroyed || upstream.write(chunk), delayMs);
    });
  });
  return { url: `redis://127.0.0.1:${forwarder.port}`, close: () => forwarder.close() };
}
