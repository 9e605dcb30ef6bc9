/**
 * Hostile requests to the `/api` endpoint: malformed percent-encoding in the path, and
 * bodies that arrive too slowly. Each gets a clear JSON error, nothing of the server's
 * file system, and the server keeps answering everyone else.
 */
import { expect } from "chai";
import express from "express";
import net from "node:net";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { actionheroWs, type ActionheroWs } from "../../lib/index.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { allTestActions } from "../support/test-actions.js";
import { request } from "../support/http-request.js";

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

/**
 * A POST whose body is announced but only partly sent. Resolves with what the server
 * answered and when it closed the connection, or rejects after `boundMs`.
 */
function slowPost(port: number, path: string, options: { send: string; total: number; rest?: { afterMs: number; text: string }; boundMs: number; close?: boolean }) {
  return new Promise<{ text: string; closedAfterMs: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${options.total}\r\n${options.close ? "Connection: close\r\n" : ""}\r\n${options.send}`);
      if (options.rest) {
        const rest = options.rest.text;
        setTimeout(() => socket.writable && socket.write(rest), options.rest.afterMs);
      }
    });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("close", () => {
      clearTimeout(bound);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.on("error", () => undefined);
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${options.boundMs} ms; got: ${JSON.stringify(text)}`));
    }, options.boundMs);
  });
}

describe("HTTP api endpoint: slow bodies (apiTimeoutMs)", function () {
  let ws: ActionheroWs;
  let server: Server;
  let port: number;
  before(async () => {
    const app = express();
    ws = actionheroWs({ actions: allTestActions, clientJsName: null, apiTimeoutMs: 300 });
    app.use(ws);
    // One of the app's own routes, reading its body itself: not ours to time out.
    app.post("/upload", (req, res) => {
      let size = 0;
      req.on("data", (chunk: Buffer) => (size += chunk.length));
      req.on("end", () => res.json({ size }));
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    ws.attach(server);
    await ws.ready();
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await ws.close({ timeoutMs: 2000 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("a body that stalls gets 408 JSON after apiTimeoutMs and its connection is closed", async () => {
    const body = JSON.stringify({ key: "slow", value: "x".repeat(50) });
    const reply = await slowPost(port, "/api/cacheTest", { send: body.slice(0, 10), total: body.length, boundMs: 5000 });
    const [head, json] = reply.text.split("\r\n\r\n");
    expect(head).to.match(/^HTTP\/1\.1 408 /);
    expect(head).to.match(/connection: close/i);
    expect(JSON.parse(json)).to.deep.equal({ error: "request body not received within 300 ms" });
    expect(reply.closedAfterMs).to.be.within(250, 3000);
  });

  it("a body trickling in past apiTimeoutMs is cut too (a bound on the total, not on idle time)", async () => {
    const body = JSON.stringify({ key: "trickle", value: "y".repeat(50) });
    const started = Date.now();
    const pending = slowPost(port, "/api/cacheTest", { send: body.slice(0, 5), total: body.length, rest: { afterMs: 200, text: body.slice(5, 10) }, boundMs: 5000 });
    const reply = await pending;
    expect(reply.text).to.match(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).to.be.below(3000);
  });

  it("a body completing in time still runs the action, and others are served meanwhile", async () => {
    const body = JSON.stringify({ key: "late", value: "ok" });
    const pending = slowPost(port, "/api/cacheTest", { send: body.slice(0, 5), total: body.length, rest: { afterMs: 100, text: body.slice(5) }, boundMs: 5000, close: true });
    const stalled = slowPost(port, "/api/cacheTest", { send: "{", total: 100, boundMs: 5000 });
    expect((await request(`http://127.0.0.1:${port}/api/randomNumber`)).status).to.equal(200);
    expect((await pending).text).to.match(/^HTTP\/1\.1 200 /);
    expect((await stalled).text).to.match(/^HTTP\/1\.1 408 /);
  });

  it("the app's own routes keep Node's timeouts: a body slower than apiTimeoutMs still reaches them", async () => {
    expect(server.requestTimeout).to.equal(300_000);
    const reply = await slowPost(port, "/upload", { send: "12345", total: 10, rest: { afterMs: 600, text: "67890" }, boundMs: 1500, close: true }).catch((error: Error) => ({ text: error.message, closedAfterMs: 0 }));
    expect(reply.text).to.match(/"size":10/);
  });
});
