/**
 * Options (spec README §1): unknown keys and wrong types throw a TypeError naming the key at
 * construction; defaults are the ones documented in lib/options.ts.
 */
import { expect } from "chai";
import http from "node:http";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { actionheroWs, type ActionheroWsOptions } from "../lib/index.js";
import { resolveOptions } from "../lib/options.js";

/** Options a type-checked caller could not write: what JavaScript callers can pass. */
const loose = (value: unknown) => value as ActionheroWsOptions;

function throwsNaming(options: unknown, key: string, pattern?: RegExp): void {
  const quoted = `"${key}"`;
  for (const construct of [() => actionheroWs(loose(options)), () => resolveOptions(loose(options))]) {
    let thrown: unknown;
    try {
      construct();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, `${JSON.stringify(options)} should throw`).to.be.instanceOf(TypeError);
    const message = (thrown as Error).message;
    expect(message, message).to.contain(quoted);
    expect(message).to.match(/^actionhero-ws: /);
    if (pattern) expect(message).to.match(pattern);
  }
}

describe("options", function () {
  describe("unknown keys", function () {
    it("an unknown top-level key throws naming it, and lists the known ones", () => {
      throwsNaming({ foo: 1 }, "foo", /unknown option "foo" \(known: enabled, redis, .*welcomeMessage/);
      throwsNaming({ destroyClientOnShutdown: true }, "destroyClientOnShutdown", /unknown option/);
      // present with an undefined value is still a typo worth reporting
      throwsNaming({ welcomeMesage: undefined }, "welcomeMesage", /unknown option/);
    });

    it("an unknown server. key throws naming it (Actionhero's commented `timeout` hint included)", () => {
      throwsNaming({ server: { timeout: 35000 } }, "server.timeout", /unknown option "server\.timeout" \(known: transformer, pathname/);
      throwsNaming({ server: { origins: "*" } }, "server.origins", /unknown option/);
      throwsNaming({ server: { pathname: "/primus", authorization: () => true } }, "server.authorization", /unknown option/);
    });

    it("an unknown history. key throws naming it", () => {
      throwsNaming({ history: { length: 5 } }, "history.length", /unknown option/);
    });

    it("history: on by default (issue 14's bounds), true takes the same, an object overrides some, false turns it off", () => {
      expect(resolveOptions().history).to.deep.equal({ size: 100, ttlMs: 300_000, metaTtlMs: 86_400_000 });
      expect(resolveOptions({ history: false }).history).to.equal(false);
      expect(resolveOptions({ history: true }).history).to.deep.equal({ size: 100, ttlMs: 300_000, metaTtlMs: 86_400_000 });
      expect(resolveOptions({ history: { size: 5 } }).history).to.deep.equal({ size: 5, ttlMs: 300_000, metaTtlMs: 86_400_000 });
    });

    it("an unknown limits. key throws naming it", () => {
      throwsNaming({ limits: { messagesPerMinute: 5 } }, "limits.messagesPerMinute", /unknown option/);
    });
  });

  describe("wrong types", function () {
    const cases: Array<[string, unknown, string]> = [
      ["enabled", { enabled: "yes" }, "enabled"],
      ["redis as a number", { redis: 6379 }, "redis"],
      ["redisPrefix", { redisPrefix: 1 }, "redisPrefix"],
      ["redisStartTimeoutMs = 0", { redisStartTimeoutMs: 0 }, "redisStartTimeoutMs"],
      ["secret = ''", { secret: "" }, "secret"],
      ["actions not an array", { actions: { name: "x" } }, "actions"],
      ["an action without run", { actions: [{ name: "x" }] }, "actions[0]"],
      ["an action without a name", { actions: [{ name: "ok", run() {} }, { run() {} }] }, "actions[1]"],
      ["origins as one string", { origins: "https://app.example" }, "origins"],
      ["origins with a number", { origins: ["https://a.example", 5] }, "origins"],
      ["allowMissingOrigin", { allowMissingOrigin: 1 }, "allowMissingOrigin"],
      ["trustProxy", { trustProxy: "yes" }, "trustProxy"],
      ["apiTimeoutMs = 0", { apiTimeoutMs: 0 }, "apiTimeoutMs"],
      ["server as a string", { server: "http://localhost" }, "server"],
      ["server as a number", { server: 8080 }, "server"],
      ["server as an array", { server: [] }, "server"],
      ["server = null", { server: null }, "server"],
      ["server.transformer", { server: { transformer: "sockjs" } }, "server.transformer"],
      ["server.pathname without /", { server: { pathname: "primus" } }, "server.pathname"],
      ["server.pathname = /", { server: { pathname: "/" } }, "server.pathname"],
      ["server.parser", { server: { parser: "binary" } }, "server.parser"],
      ["server.pingInterval", { server: { pingInterval: -1 } }, "server.pingInterval"],
      ["server.maxLength", { server: { maxLength: "64k" } }, "server.maxLength"],
      ["server.compression", { server: { compression: "gzip" } }, "server.compression"],
      ["server.transport", { server: { transport: "ws" } }, "server.transport"],
      ["client", { client: "x" }, "client"],
      ["client.apiPath", { client: { apiPath: "api" } }, "client.apiPath"],
      ["client.requestTimeout", { client: { requestTimeout: -5 } }, "client.requestTimeout"],
      ["clientUrl", { clientUrl: 1 }, "clientUrl"],
      ["clientJsPath", { clientJsPath: null }, "clientJsPath"],
      ["clientJsName", { clientJsName: 5 }, "clientJsName"],
      ["publicDir", { publicDir: ["public"] }, "publicDir"],
      ["destroyClientsOnShutdown", { destroyClientsOnShutdown: "true" }, "destroyClientsOnShutdown"],
      ["cookieKey with a space", { cookieKey: "session id" }, "cookieKey"],
      ["cookieKey with ;", { cookieKey: "a;b" }, "cookieKey"],
      ["acceptSessionIdQuery", { acceptSessionIdQuery: "yes" }, "acceptSessionIdQuery"],
      ["welcomeMessage", { welcomeMessage: 1 }, "welcomeMessage"],
      ["simultaneousActions = 0", { simultaneousActions: 0 }, "simultaneousActions"],
      ["simultaneousActions = 1.5", { simultaneousActions: 1.5 }, "simultaneousActions"],
      ["simultaneousActions as a string", { simultaneousActions: "5" }, "simultaneousActions"],
      ["startingChatRooms as an array", { startingChatRooms: ["defaultRoom"] }, "startingChatRooms"],
      ["serverToken", { serverToken: 1 }, "serverToken"],
      ["channel = ''", { channel: "" }, "channel"],
      ["channelMode = 'rooms'", { channelMode: "rooms" }, "channelMode"],
      ["roomLingerMs = -1", { roomLingerMs: -1 }, "roomLingerMs"],
      ["subscriptionCheckMs = 0", { subscriptionCheckMs: 0 }, "subscriptionCheckMs"],
      ["rpcTimeout", { rpcTimeout: Infinity }, "rpcTimeout"],
      ["defaultMiddlewarePriority", { defaultMiddlewarePriority: "100" }, "defaultMiddlewarePriority"],
      ["id = ''", { id: "" }, "id"],
      ["limits", { limits: 5 }, "limits"],
      ["limits.messagesPerSecond", { limits: { messagesPerSecond: 0 } }, "limits.messagesPerSecond"],
      ["limits.outboundBufferBytes", { limits: { outboundBufferBytes: -1 } }, "limits.outboundBufferBytes"],
      ["limits.pendingHandshakesPerIp", { limits: { pendingHandshakesPerIp: 0 } }, "limits.pendingHandshakesPerIp"],
      ["limits.pendingHandshakes", { limits: { pendingHandshakes: 1.5 } }, "limits.pendingHandshakes"],
      ["logger without warn", { logger: { debug() {}, info() {}, error() {} } }, "logger"],
      ["history = 'yes'", { history: "yes" }, "history"],
      ["history.size = 0", { history: { size: 0 } }, "history.size"],
      ["history.ttlMs = -1", { history: { ttlMs: -1 } }, "history.ttlMs"],
      ["history.metaTtlMs = 1.5", { history: { metaTtlMs: 1.5 } }, "history.metaTtlMs"],
    ];
    for (const [name, options, key] of cases) {
      it(`${name} -> TypeError naming "${key}"`, () => throwsNaming(options, key, /must be /));
    }

    it("options that are not an object throw a TypeError", () => {
      for (const bad of [null, "options", 5, []]) {
        expect(() => actionheroWs(loose(bad)), JSON.stringify(bad)).to.throw(TypeError, /options must be an object/);
      }
    });
  });

  describe("defaults", function () {
    it("derive the chat delivery window from redisCommandTimeoutMs: 500 ms less, or a third less when that is smaller", () => {
      expect(resolveOptions({ redisCommandTimeoutMs: 3000 }).chatDeliveryWindowMs).to.equal(2500);
      expect(resolveOptions({ redisCommandTimeoutMs: 900 }).chatDeliveryWindowMs).to.equal(600);
    });

    it("match the documented values", () => {
      const resolved = resolveOptions();
      const { id, ...rest } = resolved;
      expect(id).to.match(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${process.pid}:[0-9a-f]{6}$`));
      expect(rest).to.deep.equal({
        enabled: true,
        redis: undefined,
        redisPrefix: "actionhero:",
        redisStartTimeoutMs: 10_000,
        redisCommandTimeoutMs: 1_500,
        heartbeatMs: 5_000,
        history: { size: 100, ttlMs: 300_000, metaTtlMs: 86_400_000 },
        nodeTtlMs: 15_000,
        secret: undefined,
        actions: [],
        origins: undefined,
        allowMissingOrigin: true,
        trustProxy: false,
        apiTimeoutMs: 30_000,
        httpServer: undefined,
        server: {
          transformer: "socket.io",
          pathname: "/primus",
          parser: "json",
          pingInterval: 25_000,
          maxLength: 64 * 1024,
          compression: false,
          transport: {},
        },
        client: { apiPath: "/api", cookieKey: "sessionID", requestTimeout: 30_000 },
        clientUrl: "window.location.origin",
        clientJsPath: "javascript/",
        clientJsName: "ActionheroWebsocketClient",
        publicDir: resolve("public"),
        destroyClientsOnShutdown: false,
        cookieKey: "sessionID",
        acceptSessionIdQuery: false,
        welcomeMessage: "Welcome to the actionhero api",
        simultaneousActions: 5,
        startingChatRooms: {},
        serverToken: "change-me",
        channel: "actionhero",
        channelMode: "per-room",
        roomLingerMs: 10_000,
        subscriptionCheckMs: 30_000,
        rpcTimeout: 5000,
        defaultMiddlewarePriority: 100,
        limits: {
          messagesPerSecond: 50,
          messageBurst: 100,
          roomsPerConnection: 100,
          roomNameBytes: 256,
          messageIdLength: 128,
          outboundBufferBytes: 1024 * 1024,
          pendingHandshakesPerIp: 100,
          pendingHandshakes: 2000,
          framesWhileOpening: 32,
        },
        logger: undefined,
        metrics: undefined,
        handshake: [],
        maxFileBytes: 10 * 1024 * 1024,
        closeTimeoutMs: 10_000,
        // redisCommandTimeoutMs minus the 500 ms margin (README, "Running several nodes").
        chatDeliveryWindowMs: 1_000,
      });
    });

    it("every node gets its own id", () => {
      expect(resolveOptions().id).to.not.equal(resolveOptions().id);
      expect(resolveOptions({ id: "node-a" }).id).to.equal("node-a");
    });

    it("merges partial objects over the defaults and keeps extra client options", () => {
      const resolved = resolveOptions({
        cookieKey: "fp",
        client: { apiPath: "/v1/api", reconnect: { retries: 3 } },
        server: { pingInterval: 1000 },
        limits: { messageBurst: 10 },
        clientJsName: null,
        origins: "*",
        publicDir: "static",
      });
      expect(resolved.client).to.deep.equal({ apiPath: "/v1/api", reconnect: { retries: 3 }, cookieKey: "fp", requestTimeout: 30_000 });
      expect(resolved.server).to.deep.include({ pingInterval: 1000, transformer: "socket.io", maxLength: 64 * 1024 });
      expect(resolved.limits).to.deep.include({ messageBurst: 10, messagesPerSecond: 50 });
      expect(resolved.clientJsName).to.equal(null);
      expect(resolved.origins).to.equal("*");
      expect(resolved.publicDir).to.equal(resolve("static"));
    });

    it("an http.Server as `server` means attach to it, with default Primus options", () => {
      const server = http.createServer();
      const resolved = resolveOptions({ server });
      expect(resolved.httpServer).to.equal(server);
      expect(resolved.server).to.deep.equal(resolveOptions().server);
    });

    it("the middleware exposes the resolved options", async () => {
      const ws = actionheroWs({ clientJsName: null, welcomeMessage: "hi", server: { transformer: "websockets" } });
      try {
        expect(ws.options.welcomeMessage).to.equal("hi");
        expect(ws.options.server.transformer).to.equal("websockets");
        expect(ws.options.simultaneousActions).to.equal(5);
        expect(ws.id).to.equal(ws.options.id);
      } finally {
        await ws.close();
      }
    });
  });
});
