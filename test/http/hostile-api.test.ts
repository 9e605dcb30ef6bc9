/**
 * Hostile requests to the `/api` endpoint: malformed percent-encoding in the path, and
 * bodies that arrive too slowly. Each gets a clear JSON error, nothing of the server's
 * file system, and the server keeps answering everyone else.
 */
import { expect } from "chai";
import net from "node:net";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { request } from "./http-request.js";

/** A raw request line (Node's http client refuses to send a malformed path). */
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`GET ${path} timed out`)));
  });
}

describe("HTTP api endpoint: hostile input", function () {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });

  it("a malformed percent-encoding in the action path is a 400 JSON error without a stack trace", async () => {
    for (const path of ["/api/%", "/api/%E0%A4%A", "/api/%zz/more", "/api/ok%FF"]) {
      const raw = await rawGet(ts.port, path);
      const [head, body] = raw.split("\r\n\r\n");
      expect(head, path).to.match(/^HTTP\/1\.1 400 /);
      expect(head, path).to.match(/content-type: application\/json/i);
      expect(JSON.parse(body), path).to.deep.equal({ error: "the action name in the path is not valid percent-encoding" });
      expect(raw, path).to.not.match(/\/work\/|node_modules|at .*\(|<pre>/);
    }
    // and the server keeps serving
    expect((await request(`${ts.url}/api/randomNumber`)).status).to.equal(200);
  });
});
