/**
 * A TCP forwarder on 127.0.0.1 in front of a test server whose link can be cut: `cut(ms)`
 * drops every open connection at once and refuses new ones for `ms` (a phone changing
 * network, a laptop asleep), then lets them through again. `target` may be moved to another
 * node's port (a node restart behind a balancer).
 */
import net from "node:net";

export interface CutProxy {
  readonly url: string;
  /** the port connections are forwarded to */
  target: number;
  cut(ms: number): void;
  close(): Promise<void>;
}

export async function startCutProxy(target: number): Promise<CutProxy> {
  const sockets = new Set<net.Socket>();
  let downUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < downUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: proxy.target });
    sockets.add(client).add(upstream);
    client.pipe(upstream);
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
  const { port } = server.address() as net.AddressInfo;
  const proxy: CutProxy = {
    url: `http://127.0.0.1:${port}`,
    target,
    cut(ms) {
      downUntil = Date.now() + ms;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
