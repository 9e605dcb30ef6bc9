// Real client libraries as load, beside the lite clients: what an application's clients
// cost the server (their framing, pings, acks), measured the same way.
//
//   sio-real      socket.io-client 4.8 against the socket.io peer
//   primus-real   actionhero-ws's generated ActionheroWebsocketClient, fetched from the
//                 server (`CLIENT_JS=1` in servers/ours.mjs) and run in Node on a Primus
//                 client Socket built with the package's own transformer
//
// Same surface as LiteClient: `d.join/say/request` build commands, `send(command)` runs
// them, `onBroadcast(index, sentAt)` and `onReply(id)` are set by the workload.
import http from "node:http";
import { io } from "socket.io-client";

const broadcastMark = /B(\d+):(\d+(?:\.\d+)?):/;

const commands = {
  join: (room, id) => ({ op: "join", room, id }),
  say: (room, message) => ({ op: "say", room, message }),
  request: (id, value) => ({ op: "request", id, value }),
};

export const realDialects = { "sio-real": commands, "primus-real": commands };

/** The generated client class and a Primus Socket for one server (fetched once per URL). */
const libraries = new Map();
function libraryFor(baseUrl) {
  if (!libraries.has(baseUrl)) libraries.set(baseUrl, loadLibrary(baseUrl));
  return libraries.get(baseUrl);
}

async function loadLibrary(baseUrl) {
  const res = await fetch(`${baseUrl}/public/javascript/ActionheroWebsocketClient.js`, { signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET ActionheroWebsocketClient.js answered ${res.status} (is CLIENT_JS=1 set for the server?)`);
  const source = await res.text();
  // The client part follows the Primus library after a `;;;` line; in Node the Primus
  // Socket comes from a scratch Primus server with the same options and transformer.
  const match = /(?:^|\n);;;\r?\n/.exec(source);
  if (!match) throw new Error("the generated client has no ';;;' separator");
  const exports = {};
  new Function("exports", source.slice(match.index + match[0].length))(exports);
  const [{ default: Primus }, { resolveOptions }, { primusOptions }, { transformerFor }] = await Promise.all([
    import("primus"),
    import("../../dist/lib/options.js"),
    import("../../dist/lib/transport/primus-options.js"),
    import("../../dist/lib/transport/transformer-choice.js"),
  ]);
  const options = resolveOptions({});
  const scratch = new Primus(http.createServer(), primusOptions(options, transformerFor(options.server.transformer)));
  return { Client: exports.ActionheroWebsocketClient, Socket: scratch.Socket };
}

export class RealClient {
  constructor(dialectName, baseUrl, transport = "websocket") {
    this.d = realDialects[dialectName];
    this.kind = dialectName;
    this.onBroadcast = null;
    this.onReply = null;
    this.closed = false;
    const transports = transport === "polling" ? ["polling"] : ["websocket"];
    this.ready = dialectName === "sio-real" ? this.#openSocketIo(baseUrl, transports) : this.#openOurs(baseUrl, transports);
    this.ready.catch(() => undefined);
  }

  #broadcast(message) {
    const mark = typeof message === "string" ? broadcastMark.exec(message) : null;
    if (mark !== null) this.onBroadcast?.(Number(mark[1]), Number(mark[2]));
  }

  #openSocketIo(baseUrl, transports) {
    this.socket = io(baseUrl, { transports, reconnection: false, forceNew: true });
    this.socket.on("say", (payload) => this.#broadcast(payload?.message));
    return new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("connect_error", reject);
    });
  }

  async #openOurs(baseUrl, transports) {
    const { Client, Socket } = await libraryFor(baseUrl);
    this.client = new Client({ url: baseUrl, Primus: Socket, transport: { transports }, strategy: false });
    this.client.on("say", (payload) => this.#broadcast(payload?.message));
    await this.client.connect();
  }

  send(command) {
    if (this.closed) return;
    const done = () => this.onReply?.(command.id);
    if (this.kind === "sio-real") {
      if (command.op === "join") this.socket.emit("join", command.room, done);
      else if (command.op === "say") this.socket.emit("say", { room: command.room, message: command.message });
      else this.socket.emit("action", { value: command.value }, done);
      return;
    }
    if (command.op === "join") this.client.roomAdd(command.room).then(done, done);
    else if (command.op === "say") this.client.say(command.room, command.message).catch(() => undefined);
    else this.client.action("echo", { value: command.value }).then(done, done);
  }

  close() {
    this.closed = true;
    this.socket?.close();
    this.client?.disconnect();
  }
}
