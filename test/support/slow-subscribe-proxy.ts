/**
 * A TCP forwarder on 127.0.0.1 in front of a real Redis that holds back, by `delayMs`,
 * everything a connection sends from its first (S)SUBSCRIBE on: the subscription reaches
 * Redis late, as it does on a busy network, while the node's other connection (publishes,
 * member records) goes straight through. Order within a connection is kept.
 */
import net from "node:net";

export interface SlowSubscribeProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSlowSubscribeProxy(target: { port: number }, delayMs: number): Promise<SlowSubscribeProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: target.port });
    sockets.add(client).add(upstream);
    let slow = false;
    client.on("data", (chunk: Buffer) => {
      slow ||= /subscribe/i.test(chunk.toString("latin1"));
      if (!slow) upstream.write(chunk);
      else setTimeout(() => upstream.destroyed || upstream.write(chunk), delayMs);
    });
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
  return {
    url: `redis://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
