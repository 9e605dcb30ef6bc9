/**
 * A client in its own process for the half-open tests: connects to `<url>/primus` over
 * websocket, answers Primus pings, joins `room`, prints `joined <connection id>`, then
 * idles until killed (SIGKILL = socket closed by the kernel; SIGSTOP = a half-open
 * socket that stops answering). Exits by itself after 60 s so it can never be orphaned.
 */
import { io } from "socket.io-client";

const [url, room] = process.argv.slice(2);
setTimeout(() => process.exit(0), 60_000);

const socket = io(url, { path: "/primus", transports: ["websocket"], forceNew: true, reconnection: false });
socket.on("message", (text: string) => {
  const frame: unknown = JSON.parse(text);
  if (typeof frame === "string") {
    if (frame.startsWith("primus::ping::")) socket.send(JSON.stringify(`primus::pong::${frame.slice(14)}`));
    return;
  }
  const f = frame as Record<string, unknown>;
  if (typeof f.welcome === "string") socket.send(JSON.stringify({ event: "roomAdd", room, messageId: "join" }));
  else if (f.messageId === "join") {
    if (f.status !== "OK") throw new Error(`roomAdd failed: ${JSON.stringify(f)}`);
    socket.send(JSON.stringify({ event: "detailsView", messageId: "me" }));
  } else if (f.messageId === "me") {
    process.stdout.write(`joined ${(f.data as { id: string }).id}\n`);
  }
});
socket.on("connect_error", (error: Error) => {
  process.stderr.write(`connect_error ${error.message}\n`);
  process.exit(1);
});
