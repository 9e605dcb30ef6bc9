// The "lite" clients: raw `ws` (or raw HTTP long-polling) speaking each target's framing by
// hand, so one load-generator core can drive a server core to saturation. Nothing here
// parses more than it must: a broadcast is recognised by one regex on the raw text.
//
// Dialects:
//   ws          bare ws: JSON frames ({say}, {join}, {action})
//   sio         socket.io 5 over Engine.IO 4: `42["say",{..}]`, acks `42<id>[..]` -> `43<id>[..]`
//   primus-sio       actionhero-ws as its own client library speaks it: `?_objectFrames=1`,
//                    then frames as socket.io `message` arguments (`42["message",{..}]`)
//   primus-sio-json  actionhero-ws from any other client: Primus JSON strings inside
//                    socket.io `message` events (`42["message","{\"event\":..}"]`)
//   primus-ws        Actionhero 29: Primus JSON frames straight over ws
import http from "node:http";
import WebSocket from "ws";

/** `B<index>:<sent at, ms>:` opens every benchmark chat message, whatever the encoding. */
const broadcastMark = /B(\d+):(\d+(?:\.\d+)?):/;
const primusPing = /primus::ping::(\d+)/;
const messageIdOf = /messageId\\?":(\d+)/;

export const dialects = {
  ws: {
    path: "/",
    engineIo: false,
    frame: (frame) => JSON.stringify(frame),
    join: (room, id) => JSON.stringify({ join: room, id }),
    say: (room, message) => JSON.stringify({ say: room, message }),
    request: (id, value) => JSON.stringify({ action: "echo", id, value }),
    replyId(text) {
      const match = /^\{"id":(\d+)/.exec(text);
      return match ? Number(match[1]) : -1;
    },
  },
  sio: {
    path: "/socket.io/",
    engineIo: true,
    join: (room, id) => `42${id}["join",${JSON.stringify(room)}]`,
    say: (room, message) => `42["say",${JSON.stringify({ room, message })}]`,
    request: (id, value) => `42${id}["action",${JSON.stringify({ value })}]`,
    replyId(text) {
      if (!text.startsWith("43")) return -1;
      return Number.parseInt(text.slice(2), 10);
    },
  },
  "primus-sio": {
    path: "/primus/",
    query: "&_objectFrames=1",
    engineIo: true,
    primus: true,
    // Strings (pongs) keep Primus's JSON, as the client library's encoder does.
    frame: (frame) => `42["message",${JSON.stringify(typeof frame === "string" ? JSON.stringify(frame) : frame)}]`,
    replyId: primusReplyId,
  },
  "primus-sio-json": {
    path: "/primus/",
    engineIo: true,
    primus: true,
    frame: (frame) => `42["message",${JSON.stringify(JSON.stringify(frame))}]`,
    replyId: primusReplyId,
  },
  "primus-ws": {
    path: "/primus",
    engineIo: false,
    primus: true,
    frame: (frame) => JSON.stringify(frame),
    replyId: primusReplyId,
  },
};
for (const name of ["primus-sio", "primus-sio-json", "primus-ws"]) {
  const d = dialects[name];
  d.join = (room, id) => d.frame({ event: "roomAdd", room, messageId: id });
  d.say = (room, message) => d.frame({ event: "say", room, message });
  d.request = (id, value) => d.frame({ event: "action", params: { action: "echo", value }, messageId: id });
}

function primusReplyId(text) {
  const match = messageIdOf.exec(text);
  return match ? Number(match[1]) : -1;
}

/**
 * One client. `onBroadcast(index, sentAt)` and `onReply(id)` are set by the workload.
 * `ready` resolves when the target's handshake is done (welcome frame for Primus targets).
 */
export class LiteClient {
  constructor(dialectName, baseUrl, transport = "websocket") {
    this.d = dialects[dialectName];
    this.onBroadcast = null;
    this.onReply = null;
    this.closed = false;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    const receive = (text) => this.#receive(text);
    const fail = (error) => this.rejectReady(error);
    if (transport === "polling") {
      if (!this.d.engineIo) throw new Error(`${dialectName} has no long-polling transport`);
      this.link = new PollingLink(baseUrl, this.d.path, this.d.query ?? "", receive, fail);
    } else {
      const query = this.d.engineIo ? `?EIO=4&transport=websocket${this.d.query ?? ""}` : "";
      this.link = new WebSocketLink(baseUrl.replace(/^http/, "ws") + this.d.path + query, receive, fail, () => {
        if (!this.d.engineIo && !this.d.primus) this.resolveReady();
      });
    }
  }

  send(text) {
    if (!this.closed) this.link.send(text);
  }

  #receive(text) {
    const mark = broadcastMark.exec(text);
    if (mark !== null) {
      this.onBroadcast?.(Number(mark[1]), Number(mark[2]));
      return;
    }
    const d = this.d;
    if (d.engineIo) {
      const type = text.charCodeAt(0);
      if (text === "2") return this.link.send("3"); // engine.io ping
      if (type === 48 /* 0: open */) return this.link.send("40");
      if (text.startsWith("40")) {
        if (!d.primus) this.resolveReady();
        return;
      }
      if (text.startsWith("44")) return this.rejectReady(new Error(`connect refused: ${text}`));
    }
    if (d.primus) {
      const ping = primusPing.exec(text);
      if (ping !== null) return this.link.send(d.frame(`primus::pong::${ping[1]}`));
      if (text.includes("welcome")) return this.resolveReady();
    }
    const id = d.replyId(text);
    if (id >= 0) this.onReply?.(id, text);
  }

  close() {
    this.closed = true;
    this.link.close();
  }
}

class WebSocketLink {
  constructor(url, receive, fail, opened) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.on("message", (data) => receive(data.toString()));
    this.socket.on("open", opened);
    this.socket.on("error", fail);
    this.socket.on("close", () => fail(new Error("closed")));
  }

  send(text) {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  close() {
    this.socket.terminate();
  }
}

/** HTTP requests made by every polling link of this process so far (the primary's work per request). */
let pollingRequests = 0;
export const pollingRequestCount = () => pollingRequests;

/** Engine.IO 4 long-polling by hand: one GET always pending, POSTs batched with \x1e. */
class PollingLink {
  constructor(baseUrl, path, extraQuery, receive, fail) {
    const url = new URL(baseUrl);
    this.extraQuery = extraQuery;
    this.host = url.hostname;
    this.port = Number(url.port);
    this.path = path;
    this.receive = receive;
    this.fail = fail;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    this.sid = undefined;
    this.outbox = [];
    this.posting = false;
    this.closed = false;
    this.#get();
  }

  #query() {
    return `${this.path}?EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : this.extraQuery}`;
  }

  #request(method, body, onBody) {
    pollingRequests++;
    const req = http.request({ host: this.host, port: this.port, method, path: this.#query(), agent: this.agent,
      headers: body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) return this.#failed(new Error(`${method} ${res.statusCode}: ${text}`));
        onBody(text);
      });
    });
    req.on("error", (error) => this.#failed(error));
    req.end(body);
  }

  #failed(error) {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
    this.fail(error);
  }

  #get() {
    if (this.closed) return;
    this.#request("GET", undefined, (text) => {
      for (const packet of text.split("\x1e")) {
        if (this.sid === undefined && packet.startsWith("0{")) this.sid = JSON.parse(packet.slice(1)).sid;
        if (packet === "1") return this.#failed(new Error("closed by server"));
        if (packet !== "6") this.receive(packet);
      }
      this.#get();
    });
  }

  send(text) {
    if (this.closed) return;
    this.outbox.push(text);
    this.#flush();
  }

  #flush() {
    if (this.posting || this.outbox.length === 0 || this.sid === undefined || this.closed) return;
    this.posting = true;
    const body = this.outbox.join("\x1e");
    this.outbox = [];
    this.#request("POST", body, () => {
      this.posting = false;
      this.#flush();
    });
  }

  close() {
    this.closed = true;
    this.agent.destroy();
  }
}
