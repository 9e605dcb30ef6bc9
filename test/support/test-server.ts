/** An Express app with actionheroWs on 127.0.0.1:<free port>, as a user would set it up. */
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { actionheroWs, type ActionheroWs, type ActionheroWsOptions } from "../../lib/index.js";
import { allTestActions } from "./test-actions.js";

export const fixturesPublic = fileURLToPath(new URL("../../../test/fixtures/public", import.meta.url));

export interface TestServer {
  ws: ActionheroWs;
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startTestServer(options: ActionheroWsOptions = {}, port = 0): Promise<TestServer> {
  const app = express();
  const ws = actionheroWs({
    actions: allTestActions,
    publicDir: fixturesPublic,
    clientJsName: null,
    startingChatRooms: { defaultRoom: {}, otherRoom: {} },
    ...options,
  });
  app.use(ws);
  app.get("/hello", (_req, res) => {
    res.json({ hello: "world" });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, "127.0.0.1", () => resolve(s));
  });
  ws.attach(server);
  await ws.ready();
  const actual = (server.address() as AddressInfo).port;
  return {
    ws,
    server,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    async close() {
      await ws.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
