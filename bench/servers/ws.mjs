// Peer: bare `ws`, rooms as a Map of Sets, JSON frames. The floor for CPU and memory.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { serveControl, chatPayload } from "./control.mjs";

const port = Number(process.env.PORT);
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const rooms = new Map();
let nextId = 0;

wss.on("connection", (socket) => {
  const id = String(++nextId);
  const joined = new Set();
  socket.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.say !== undefined) {
      const members = rooms.get(frame.say);
      if (!members) return;
      const text = JSON.stringify(chatPayload(frame.message, frame.say, id));
      for (const member of members) member.send(text);
    } else if (frame.action !== undefined) {
      socket.send(JSON.stringify({ id: frame.id, echo: frame.value }));
    } else if (frame.join !== undefined) {
      let members = rooms.get(frame.join);
      if (!members) rooms.set(frame.join, (members = new Set()));
      members.add(socket);
      joined.add(frame.join);
      socket.send(JSON.stringify({ id: frame.id, joined: frame.join }));
    }
  });
  socket.on("close", () => {
    for (const room of joined) rooms.get(room)?.delete(socket);
  });
});

server.listen(port, "127.0.0.1", () => serveControl(port));
