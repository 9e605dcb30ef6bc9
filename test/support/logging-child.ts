/**
 * A server in its own process with no injected logger, for the DEBUG tests: it refuses a
 * handshake from another origin (a warning), runs a say with a secret, closes and exits.
 * Whatever the library logs goes to this process's stderr.
 */
import express from "express";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { actionheroWs } from "../../lib/index.js";

const app = express();
const ws = actionheroWs({ clientJsName: null, startingChatRooms: { defaultRoom: {} } });
app.use(ws);
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
ws.attach(server);
await ws.ready();
const port = (server.address() as AddressInfo).port;
const status = await new Promise<number>((resolve, reject) => {
  http.get({ host: "127.0.0.1", port, path: "/primus/?EIO=4&transport=polling", headers: { origin: "https://evil.example", cookie: "sessionID=COOKIE-SECRET" }, agent: false }, (res) => {
    res.resume();
    resolve(res.statusCode ?? 0);
  }).on("error", reject);
});
await ws.chatRoom.broadcast({}, "defaultRoom", "SAY-SECRET");
await ws.close({ timeoutMs: 1000 });
server.close();
process.stdout.write(`done ${status}\n`);
