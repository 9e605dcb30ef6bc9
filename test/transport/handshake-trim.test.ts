/**
 * What an open connection no longer holds from its handshake (lib/transport/handshake-trim.ts):
 * Primus's `gc` listener on the TCP socket (its closure kept the upgrade's `head` Buffer),
 * Primus's self-reference header and the handshake-only fields of the request, while the
 * connection keeps working and `spark.headers` keeps the client's headers. On every
 * transformer: ours drops the listener before ws takes the socket, the others after.
 */
import { expect } from "chai";
import type { Socket } from "node:net";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { sparkFor } from "../support/spark-of.js";

const paths = {
  "socket.io": "/primus/?EIO=4&transport=websocket",
  "engine.io": "/primus/?EIO=4&transport=websocket",
  websockets: "/primus",
} as const;

for (const transformer of ["socket.io", "engine.io", "websockets"] as const) {
  describe(`handshake trim (${transformer})`, () => {
    let ts: TestServer;
    let client: WebSocket | undefined;
    const sockets: Socket[] = [];

    beforeEach(async () => {
      ts = await startTestServer({ server: { transformer } });
      ts.server.on("upgrade", (_request, socket: Socket) => sockets.push(socket));
    });

    afterEach(async () => {
      client?.terminate();
      sockets.length = 0;
      await ts.close();
    });

    it("leaves no Primus listener or handshake fields behind, and the connection works", async () => {
      client = new WebSocket(`ws://127.0.0.1:${ts.port}${paths[transformer]}`, { headers: { "x-custom": "kept" } });
      const open = client;
      open.on("message", (data) => {
        const text = String(data);
        // engine.io's open packet: socket.io also needs its connect packet
        if (text.startsWith("0{") && transformer === "socket.io") open.send("40");
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no connection within 5 s")), 5000);
        const check = setInterval(() => {
          if (ts.ws.connections.size === 0) return;
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }, 10);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const [connection] = [...ts.ws.connections.values()];
      const spark = sparkFor(connection!);
      expect(spark, "spark").to.not.equal(undefined);
      const request = spark!.request as unknown as Record<string, unknown> & { headers: Record<string, unknown> };

      expect(sockets).to.have.length(1);
      const endListeners = sockets[0]!.listeners("end").map((listener) => listener.name);
      expect(endListeners).to.not.include("gc");
      expect(request.headers).to.not.have.property("primus::req::backup");
      for (const field of ["uri", "query", "originalUrl", "forwarded", "cookies", "signedCookies"]) {
        expect(request[field], field).to.equal(undefined);
      }
      expect(request.rawHeaders).to.deep.equal([]);
      expect(spark!.headers["x-custom"]).to.equal("kept");

      // still a working connection: the server's write reaches the client
      const received = new Promise<string>((resolve) => open.on("message", (data) => {
        if (String(data).includes("trim-check")) resolve(String(data));
      }));
      connection!.sendMessage({ message: "trim-check" });
      expect(await received).to.include("trim-check");
    });
  });
}
